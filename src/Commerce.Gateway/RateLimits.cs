using System.Globalization;
using System.Threading.RateLimiting;
using Commerce.Gateway.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Gateway;

/// <summary>A fixed window: at most <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
public sealed class RateLimitRule
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; }

    internal FixedWindowRateLimiterOptions ToLimiterOptions() =>
        new() { PermitLimit = PermitLimit, Window = Window, QueueLimit = 0, AutoReplenishment = true };
}

/// <summary>
/// Limits on the endpoints a crowd or a bot hammers, bound from <c>Commerce:RateLimits</c> (environment:
/// <c>Commerce__RateLimits__JoinPerCustomer__PermitLimit</c>, ...). A request must pass both the
/// per-customer and the per-address limit; a refused one gets 429 with Retry-After.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Commerce:RateLimits";

    public RateLimitRule JoinPerCustomer { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromSeconds(10) };

    public RateLimitRule JoinPerAddress { get; set; } = new() { PermitLimit = 200, Window = TimeSpan.FromSeconds(10) };

    public RateLimitRule PurchasePerCustomer { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromSeconds(10) };

    public RateLimitRule PurchasePerAddress { get; set; } = new() { PermitLimit = 200, Window = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// Checkouts per customer: a shopper places a handful of orders a minute at most, while a bot
    /// testing stolen cards needs many. Retries of one checkout count too; 10 leaves room for them.
    /// </summary>
    public RateLimitRule CheckoutPerCustomer { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Checkouts per address: generous, since a whole crowd may share one carrier-grade NAT.</summary>
    public RateLimitRule CheckoutPerAddress { get; set; } = new() { PermitLimit = 600, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Sign-ins, registrations and refreshes per address: guesses at passwords.</summary>
    public RateLimitRule AccountsPerAddress { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Guesses at the operator bootstrap key, per address.</summary>
    public RateLimitRule OperatorLoginPerAddress { get; set; } = new() { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) };
}

/// <summary>Marks an endpoint as one of the rate-limited actions.</summary>
internal sealed record RateLimitedAction(string Name)
{
    public const string Join = "flash-sale-join";
    public const string Purchase = "flash-sale-purchase";
    public const string Checkout = "checkout";
    public const string OperatorLogin = "operator-login";
    public const string AccountSignIn = "account-sign-in";
}

internal static class GatewayRateLimits
{
    /// <summary>Applies the per-customer and per-address limits of <paramref name="action"/> to this endpoint.</summary>
    public static TBuilder RateLimitedAs<TBuilder>(this TBuilder endpoint, string action) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new RateLimitedAction(action));

    /// <summary>
    /// One global limiter chaining two partitioned ones, by customer and by remote address; each
    /// partitions by the endpoint's <see cref="RateLimitedAction"/> too, and lets unmarked endpoints
    /// through. A request refused by either limiter is refused.
    /// </summary>
    public static IServiceCollection AddGatewayRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = Reject;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                Partitioned(context => context.User.FindFirst(GatewayIdentity.CustomerIdClaim)?.Value, PerCustomer),
                Partitioned(context => context.Connection.RemoteIpAddress?.ToString() ?? "unknown", PerAddress));
        });
        return services;
    }

    internal static RateLimitRule? PerCustomer(RateLimitOptions options, string action) => action switch
    {
        RateLimitedAction.Join => options.JoinPerCustomer,
        RateLimitedAction.Purchase => options.PurchasePerCustomer,
        RateLimitedAction.Checkout => options.CheckoutPerCustomer,
        _ => null,
    };

    internal static RateLimitRule? PerAddress(RateLimitOptions options, string action) => action switch
    {
        RateLimitedAction.Join => options.JoinPerAddress,
        RateLimitedAction.Purchase => options.PurchasePerAddress,
        RateLimitedAction.Checkout => options.CheckoutPerAddress,
        RateLimitedAction.OperatorLogin => options.OperatorLoginPerAddress,
        RateLimitedAction.AccountSignIn => options.AccountsPerAddress,
        _ => null,
    };

    private static PartitionedRateLimiter<HttpContext> Partitioned(Func<HttpContext, string?> caller, Func<RateLimitOptions, string, RateLimitRule?> ruleFor) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            var action = context.GetEndpoint()?.Metadata.GetMetadata<RateLimitedAction>()?.Name;
            var rule = action is null ? null : ruleFor(context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value, action);
            var who = caller(context);
            return rule is null || who is null
                ? RateLimitPartition.GetNoLimiter("")
                : RateLimitPartition.GetFixedWindowLimiter($"{action}|{who}", _ => rule.ToLimiterOptions());
        });

    private static async ValueTask Reject(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var response = context.HttpContext.Response;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context.HttpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests.",
                Detail = $"Slow down: try again in {seconds} s.",
                Extensions = { ["code"] = "rate-limited", ["retryAfterSeconds"] = seconds },
            },
        });
    }
}
