using System.Diagnostics;

namespace Commerce.Bench.Harness;

/// <summary>What a closed-loop load run measured: operations attempted and succeeded, and latencies.</summary>
public sealed record LoadResult(long Attempted, long Succeeded, long Failed, TimeSpan Elapsed, double P50Ms, double P99Ms, string? FirstError)
{
    public double OpsPerSecond => Succeeded / Elapsed.TotalSeconds;
}

/// <summary>
/// Closed-loop load: <c>clients</c> concurrent loops, each awaiting one operation at a time (as many
/// application threads each holding one request would), for a fixed duration. Every operation's
/// latency is kept (per loop, merged at the end) so percentiles are exact.
/// </summary>
public static class LoadRun
{
    /// <param name="operation">Client index and the loop's random source; returns whether the operation succeeded (false: refused, e.g. out of stock).</param>
    public static async Task<LoadResult> RunAsync(int clients, TimeSpan duration, Func<int, Random, Task<bool>> operation, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var deadline = duration;
        string? firstError = null;
        var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client * 7919 + 17);
            var latencies = new List<long>(1 << 16);
            long attempted = 0, succeeded = 0, failed = 0;
            while (stopwatch.Elapsed < deadline && !cancellationToken.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                attempted++;
                try
                {
                    if (await operation(client, random))
                    {
                        succeeded++;
                    }
                }
                catch (Exception error)
                {
                    failed++;
                    Interlocked.CompareExchange(ref firstError, $"{error.GetType().Name}: {error.Message}", null);
                }
                latencies.Add(Stopwatch.GetTimestamp() - started);
            }
            return (attempted, succeeded, failed, latencies);
        }, CancellationToken.None)).ToArray();
        var results = await Task.WhenAll(loops);
        var elapsed = stopwatch.Elapsed;
        var all = new long[results.Sum(r => r.latencies.Count)];
        var offset = 0;
        foreach (var r in results)
        {
            r.latencies.CopyTo(all, offset);
            offset += r.latencies.Count;
        }
        Array.Sort(all);
        return new LoadResult(
            results.Sum(r => r.attempted), results.Sum(r => r.succeeded), results.Sum(r => r.failed), elapsed,
            Percentile(all, 0.50), Percentile(all, 0.99), firstError);
    }

    /// <summary>The <paramref name="quantile"/> of sorted Stopwatch tick counts, in milliseconds.</summary>
    public static double Percentile(long[] sortedTicks, double quantile)
    {
        if (sortedTicks.Length == 0)
        {
            return 0;
        }
        var index = Math.Clamp((int)Math.Ceiling(quantile * sortedTicks.Length) - 1, 0, sortedTicks.Length - 1);
        return Math.Round(sortedTicks[index] * 1000.0 / Stopwatch.Frequency, 3);
    }
}
