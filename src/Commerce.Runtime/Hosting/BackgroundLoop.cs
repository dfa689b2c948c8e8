using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Hosting;

/// <summary>The silo's periodic work (reminder polling, membership rounds, idle collection, deadlines).</summary>
internal static class BackgroundLoop
{
    /// <summary>
    /// Runs <paramref name="step"/> now and then once per <paramref name="period"/> until
    /// <paramref name="stopping"/>; a step that fails is logged and tried again next period.
    /// </summary>
    public static async Task RunAsync(TimeSpan period, Func<CancellationToken, Task> step, ILogger logger, string what, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(period);
        do
        {
            try
            {
                await step(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "{What} failed; trying again in {Period}", what, period);
            }
        }
        while (await NextTickAsync(timer, stopping));
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
