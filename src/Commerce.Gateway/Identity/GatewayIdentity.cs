using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway.Identity;

/// <summary>Until accounts exist: who may call what, and how callers prove who they are.</summary>
public static class GatewayIdentity
{
    /// <summary>The claim carrying the customer id; set only by the gateway when it issues a token, never taken from a request.</summary>
    public const string CustomerIdClaim = "customer_id";

    public const string OperatorRole = "operator";

    /// <summary>Authorization policy: the caller holds a customer token.</summary>
    public const string CustomerPolicy = "customer";

    /// <summary>Authorization policy: the caller holds an operator token.</summary>
    public const string OperatorPolicy = "operator";

    /// <summary>
    /// Signed, encrypted bearer tokens (ASP.NET Core data protection) read from the Authorization header,
    /// or for SignalR's WebSockets from the <c>access_token</c> query parameter of hub requests.
    /// Every gateway node must share the data-protection key ring to accept the others' tokens.
    /// </summary>
    public static IServiceCollection AddGatewayIdentity(this IServiceCollection services)
    {
        services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section);
        services.AddOptions<BearerTokenOptions>(BearerTokenDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<OperatorOptions>>((bearer, operators) => bearer.BearerTokenExpiration = operators.Value.TokenLifetime);
        services.AddAuthentication(BearerTokenDefaults.AuthenticationScheme)
            .AddBearerToken(BearerTokenDefaults.AuthenticationScheme, options =>
            {
                options.Events.OnMessageReceived = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/hubs") && context.Request.Query["access_token"] is { Count: > 0 } token)
                    {
                        context.Token = token;
                    }
                    return Task.CompletedTask;
                };
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(CustomerPolicy, policy => policy.RequireClaim(CustomerIdClaim))
            .AddPolicy(OperatorPolicy, policy => policy.RequireRole(OperatorRole));
        return services;
    }

    /// <summary>The authenticated customer's id (the endpoint requires <see cref="CustomerPolicy"/>, so it is there).</summary>
    public static string CustomerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(CustomerIdClaim) ?? throw new InvalidOperationException("The caller is not an authenticated customer.");

    /// <summary>Who an operator action is recorded as, in ledgers and sales.</summary>
    public static string OperatorName(this ClaimsPrincipal user) => "operator:" + (user.Identity?.Name ?? "unknown");

    internal static ClaimsPrincipal Customer(string customerId) =>
        new(new ClaimsIdentity([new Claim(CustomerIdClaim, customerId)], BearerTokenDefaults.AuthenticationScheme));

    internal static ClaimsPrincipal Operator(string name) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, OperatorRole)], BearerTokenDefaults.AuthenticationScheme));
}

/// <summary>Operator sign-in until accounts exist, bound from <c>Commerce:Operators</c>.</summary>
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
