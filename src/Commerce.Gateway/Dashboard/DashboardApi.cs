using Commerce.Gateway.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Dashboard;

/// <summary>
/// The operator dashboard: its page at <c>/dashboard</c> and the JSON behind it. The page's files
/// hold no data and load for anyone; they sign the operator in and every figure comes from the
/// operator-only endpoints below.
/// </summary>
internal static class DashboardApi
{
    /// <summary>How long the first request after a quiet spell waits for the sampler's first sample.</summary>
    private static readonly TimeSpan FirstSampleTimeout = TimeSpan.FromSeconds(10);

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/dashboard").WithTags("Dashboard").RequireAuthorization(GatewayIdentity.OperatorPolicy);
        api.MapGet("", GetView)
            .WithName("GetDashboard")
            .WithSummary("The whole cluster at the last sample: silos, grain types and methods with rates, storage, reminders, flash sales, hot and low-stock SKUs, orders and payments, recent errors")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/history", GetHistory)
            .WithName("GetDashboardHistory")
            .WithSummary("The last chart points (one per second, at most 100), oldest first");
        api.MapOrleansDashboardSession();

        routes.MapGet("/dashboard", (HttpContext context, DashboardAssets assets) => Serve(context, assets, "index.html")).ExcludeFromDescription();
        routes.MapGet("/dashboard/{**path}", (string path, HttpContext context, DashboardAssets assets) => Serve(context, assets, path)).ExcludeFromDescription();
        return routes;
    }

    private static async Task<Results<Ok<DashboardView>, ProblemHttpResult>> GetView(HttpContext context, DashboardViewers viewers, DashboardSampler sampler)
    {
        viewers.Seen();
        try
        {
            return TypedResults.Ok(await sampler.CurrentAsync().WaitAsync(FirstSampleTimeout, context.RequestAborted));
        }
        catch (TimeoutException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "No sample yet",
                detail: $"The dashboard took no sample of the cluster within {FirstSampleTimeout.TotalSeconds:0} s; this process's log says why.");
        }
    }

    private static Ok<DashboardHistory> GetHistory(DashboardViewers viewers, DashboardSampler sampler)
    {
        viewers.Seen();
        return TypedResults.Ok(sampler.History());
    }

    private static IResult Serve(HttpContext context, DashboardAssets assets, string path) =>
        assets.Find(path) is { } asset ? EmbeddedAssets.Serve(context, asset, "no-cache") : TypedResults.NotFound();
}
