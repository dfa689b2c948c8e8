using System.Security.Claims;
using Commerce.Accounts;
using Commerce.Gateway.Dashboard;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway.Identity;

/// <summary>Who may call what, and how callers prove who they are: anonymous customers, signed-in accounts, operators.</summary>
public static class GatewayIdentity
{
    /// <summary>The claim carrying the customer id; set only by the gateway when it issues a token, never taken from a request.</summary>
    public const string CustomerIdClaim = "customer_id";

    /// <summary>The claim naming the sign-in session of an account's token; logging out revokes the session and with it the token.</summary>
    public const string SessionIdClaim = "sid";

    /// <summary>Anonymous (guest) customer ids start with this; account ids never do.</summary>
    public const string AnonymousCustomerPrefix = "anon-";

    public const string OperatorRole = "operator";

    public const string CustomerRole = "customer";

    /// <summary>Authorization policy: the caller holds a customer token.</summary>
    public const string CustomerPolicy = "customer";

    /// <summary>Authorization policy: the caller signed in with a customer account (not a guest token).</summary>
    public const string SignedInCustomerPolicy = "signed-in-customer";

    /// <summary>Authorization policy: the caller holds an operator token.</summary>
    public const string OperatorPolicy = "operator";

    /// <summary>
    /// Signed, encrypted bearer tokens (ASP.NET Core data protection) read from the Authorization header,
    /// or for SignalR's WebSockets from the <c>access_token</c> query parameter of hub requests, or
    /// for Orleans' dashboard (static pages that cannot send the header) from the cookie that
    /// <see cref="OrleansDashboardAccess"/> sets, for requests under its path only.
    /// Every process of the cluster shares the data-protection key ring (in PostgreSQL), so each accepts the others' tokens.
    /// </summary>
    public static IServiceCollection AddGatewayIdentity(this IServiceCollection services)
    {
        services.AddSharedKeyRing();
        services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section);
        services.AddOptions<BearerTokenOptions>(BearerTokenDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<OperatorOptions>>((bearer, operators) => bearer.BearerTokenExpiration = operators.Value.TokenLifetime);
        services.AddAuthentication(BearerTokenDefaults.AuthenticationScheme)
            .AddBearerToken(BearerTokenDefaults.AuthenticationScheme, options =>
            {
                options.Events.OnMessageReceived = async context =>
                {
                    if (context.Request.Path.StartsWithSegments("/hubs") && context.Request.Query["access_token"] is { Count: > 0 } token)
                    {
                        context.Token = token;
                    }
                    else if (OrleansDashboardAccess.CookieToken(context.Request) is { } cookieToken)
                    {
                        context.Token = cookieToken;
                    }
                    if (!await IsSessionLive(context))
                    {
                        context.Fail("The session of this token was signed out.");
                    }
                };
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(CustomerPolicy, policy => policy.RequireClaim(CustomerIdClaim))
            .AddPolicy(SignedInCustomerPolicy, policy => policy.RequireClaim(CustomerIdClaim).RequireClaim(SessionIdClaim))
            .AddPolicy(OperatorPolicy, policy => policy.RequireRole(OperatorRole));
        services.AddCommerceAccounts();
        return services;
    }

    /// <summary>
    /// Bearer tokens are self-contained, so the token of a session that signed out would stay valid until
    /// it expires: an account's token is refused once its session is revoked. One primary-key lookup per
    /// request that carries an account token (guest and bootstrap-operator tokens have no session).
    /// </summary>
    private static async Task<bool> IsSessionLive(MessageReceivedContext context)
    {
        var token = context.Token;
        if (token is null && context.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }
        var principal = string.IsNullOrEmpty(token) ? null : context.Options.BearerTokenProtector.Unprotect(token)?.Principal;
        if (principal?.FindFirstValue(SessionIdClaim) is not { } session || principal.FindFirstValue(ClaimTypes.NameIdentifier) is not { } account)
        {
            return true;
        }
        return await context.HttpContext.RequestServices.GetRequiredService<AccountStore>().IsSessionLive(session, account);
    }

    /// <summary>The authenticated customer's id (the endpoint requires <see cref="CustomerPolicy"/>, so it is there).</summary>
    public static string CustomerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(CustomerIdClaim) ?? throw new InvalidOperationException("The caller is not an authenticated customer.");

    /// <summary>Who an operator action is recorded as, in ledgers and sales.</summary>
    public static string OperatorName(this ClaimsPrincipal user) => "operator:" + (user.Identity?.Name ?? "unknown");

    /// <summary>True for operators, who may read every customer's orders and payments.</summary>
    public static bool IsOperator(this ClaimsPrincipal user) => user.IsInRole(OperatorRole);

    /// <summary>The guest customer id when the caller holds an anonymous token, else null.</summary>
    public static string? GuestCustomerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(CustomerIdClaim) is { } id && id.StartsWith(AnonymousCustomerPrefix, StringComparison.Ordinal) ? id : null;

    /// <summary>An account's token: customers carry their account id as customer id; both carry the session.</summary>
    internal static ClaimsPrincipal SignedIn(Account account, string sessionId)
    {
        List<Claim> claims = [new(ClaimTypes.Name, account.Email), new(SessionIdClaim, sessionId), new(ClaimTypes.NameIdentifier, account.AccountId)];
        claims.Add(account.Role == AccountRole.Operator ? new Claim(ClaimTypes.Role, OperatorRole) : new Claim(ClaimTypes.Role, CustomerRole));
        if (account.Role == AccountRole.Customer)
        {
            claims.Add(new Claim(CustomerIdClaim, account.AccountId));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, BearerTokenDefaults.AuthenticationScheme));
    }

    internal static ClaimsPrincipal Customer(string customerId) =>
        new(new ClaimsIdentity([new Claim(CustomerIdClaim, customerId)], BearerTokenDefaults.AuthenticationScheme));

    internal static ClaimsPrincipal Operator(string name) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, OperatorRole)], BearerTokenDefaults.AuthenticationScheme));
}

/// <summary>Operator sign-in with the bootstrap key (before any operator account exists), bound from <c>Commerce:Operators</c>.</summary>
public sealed class OperatorOptions
{
    public const string Section = "Commerce:Operators";

    /// <summary>
    /// The key exchanged for an operator token (environment: <c>Commerce__Operators__BootstrapKey</c>).
    /// Unset means nobody can sign in as an operator.
    /// </summary>
    public string? BootstrapKey { get; set; }

    /// <summary>How long issued bearer tokens (customer and operator) are valid. Default 12 hours.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);
}
