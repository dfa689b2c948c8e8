using Commerce.Hosting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Commerce.Gateway;

/// <summary>
/// A grain call that failed because part of the system was briefly away: a silo died or left with
/// the call in flight, the call timed out, a stale activation's write was refused, PostgreSQL was
/// restarting. The call may or may not have taken effect, so the client is told to retry — every
/// endpoint a client may retry is idempotent, and the retry finishes what the first attempt began.
/// </summary>
internal static class ClusterFaults
{
    public const string Code = "temporarily-unavailable";

    /// <summary>How long a client should wait before retrying: a killed silo's grains answer again from another silo within a few seconds.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);


    /// <summary>503 with <c>Retry-After</c> and the stable code; <paramref name="more"/> adds members (the checkout's order id).</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Problem(HttpResponse response, IReadOnlyDictionary<string, object?>? more = null)
    {
        response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.About(StatusCodes.Status503ServiceUnavailable, "Briefly unavailable; retry the same request.", Code, null,
            "Part of the cluster was briefly unavailable and this request may or may not have taken effect. Retry it as it was (with the same Idempotency-Key): it takes effect once.",
            more);
    }

    /// <summary>Turns an in-doubt cluster failure of any endpoint into <see cref="Problem"/> instead of a bare 500.</summary>
    internal sealed class Handler(ILogger<Handler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            // A request its client abandoned has nobody to answer.
            if (!TransientFaults.IsTransient(exception) || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
            {
                return false;
            }
            logger.LogWarning("{Method} {Path} answered 503 after {Kind}: {Message}", context.Request.Method, context.Request.Path, exception.GetType().Name, exception.Message);
            await Problem(context.Response).ExecuteAsync(context);
            return true;
        }
    }
}
