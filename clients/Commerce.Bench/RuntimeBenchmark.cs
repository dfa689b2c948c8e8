using System.Diagnostics;
using Commerce.Bench.Harness;
using Commerce.Persistence;

namespace Commerce.Bench;

/// <summary>
/// `deploy/bench runtime`: Orleans' hot paths in one process, on one silo hosted here. Prints one JSON
/// object on stdout; progress goes to stderr.
/// <list type="bullet">
/// <item><c>local_calls_per_sec</c>: a no-op grain called from the silo's own grain factory by
/// <c>clients</c> loops, on a silo configured as the product's (its grain-call filters included);
/// <c>local_calls_per_sec_bare_orleans</c>: the same on a silo that is Orleans and nothing else.</item>
/// <item><c>hot_grain_durable_writes_per_sec</c>: one reentrant counter grain on the journaled state
/// (group commit, durable before each answer); <c>..._no_batching</c>: the same counter, not
/// reentrant, on Orleans' persistent state (one WriteStateAsync, one commit per call). Both checked
/// from PostgreSQL: every acknowledged increment must be stored.</item>
/// <item><c>state_serializer_roundtrips_per_sec</c>: a small cart-like document through
/// <see cref="StateJson"/> and back, the cost paid once per commit.</item>
/// </list>
/// </summary>
internal static class RuntimeBenchmark
{
    public static async Task<int> RunAsync(int seconds, int clients, BenchEnvironment environment)
    {
        var postgres = environment.RequirePostgres();
        var duration = TimeSpan.FromSeconds(seconds);
        var result = new Dictionary<string, object?>
        {
            ["benchmark"] = "runtime",
            ["clients"] = clients,
            ["seconds"] = seconds,
            ["processors"] = Environment.ProcessorCount,
        };
        await BenchDatabase.ResetAsync(postgres);

        Report.Progress($"== runtime: two lone silos in this process, one configured as the product's (on PostgreSQL), one Orleans alone; {clients} callers, {seconds} s per figure");
        await using (var silo = await InProcessSilo.StartLocalAsync(postgres))
        await using (var bare = await InProcessSilo.StartLocalAsync(postgres: null))
        {
            // Both warm up before either is measured: the JIT's work on Orleans' call path is shared by the
            // process, and whichever ran first would otherwise pay it.
            var noop = silo.Grains.GetGrain<INoopGrain>("noop");
            var bareNoop = bare.Grains.GetGrain<INoopGrain>("noop");
            await noop.Noop();
            await bareNoop.Noop();
            Report.Progress("local no-op calls: warming up both silos for 3 s each");
            await RunLoopsAsync(TimeSpan.FromSeconds(3), clients, () => noop.Noop());
            await RunLoopsAsync(TimeSpan.FromSeconds(3), clients, () => bareNoop.Noop());
            result["local_calls_per_sec"] = Math.Round((await MeasureAsync("local no-op calls, the product's silo configuration", duration, clients, () => noop.Noop(), warmUp: false)).Rate);
            result["local_calls_per_sec_bare_orleans"] = Math.Round((await MeasureAsync("local no-op calls, Orleans alone (no grain-call filters, no storage)", duration, clients, () => bareNoop.Noop(), warmUp: false)).Rate);

            foreach (var (name, batching) in new[] { ("hot_grain_durable_writes_per_sec", true), ("hot_grain_durable_writes_per_sec_no_batching", false) })
            {
                var key = $"{name}-{Guid.NewGuid():N}";
                ICounterGrain counter = batching ? silo.Grains.GetGrain<IHotCounterGrain>(key) : silo.Grains.GetGrain<IUnbatchedCounterGrain>(key);
                await counter.Increment();
                var measured = await MeasureAsync(name, duration, clients, () => counter.Increment(), storage: silo.Storage);
                result[name] = Math.Round(measured.Rate);
                result[name + "_callers_per_commit"] = Math.Round(measured.Storage!.CallersPerCommit, 2);
                result[name + "_commit_mean_ms"] = measured.Storage.MeanCommitMs;

                // Every acknowledged increment must be in PostgreSQL: the figure means nothing otherwise.
                var grainType = batching ? "bench-hot-counter" : "bench-unbatched-counter";
                var stored = await BenchDatabase.ScalarAsync(postgres,
                    "SELECT (payload->>'value')::bigint FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = 'counter'", grainType, key);
                var acknowledged = 1 + measured.Acknowledged;
                var lost = Math.Max(0, acknowledged - stored);
                result[name + "_lost"] = lost;
                Report.Progress($"  stored value {stored:N0}, acknowledged {acknowledged:N0}, failed calls {measured.Failed:N0}");
                if (lost > 0 || measured.Failed > 0 || stored > acknowledged + measured.Failed)
                {
                    Report.Fail($"{name}: {acknowledged:N0} increments acknowledged, {measured.Failed:N0} failed, {stored:N0} stored");
                }
            }
        }

        result["state_serializer_roundtrips_per_sec"] = Math.Round(MeasureSerializer(duration));

        Report.Line(result);
        return Report.CheckFailed ? 1 : 0;
    }

    private sealed record Measured(double Rate, long Acknowledged, long Failed, StorageWindow? Storage);

    /// <summary>
    /// Runs <paramref name="clients"/> loops of <paramref name="call"/> for a 3 s warm-up (unless told
    /// otherwise), then for <paramref name="duration"/>; returns completed calls per second of the measured part, and how
    /// many calls were acknowledged and failed over both.
    /// </summary>
    private static async Task<Measured> MeasureAsync(string name, TimeSpan duration, int clients, Func<Task> call, bool warmUp = true, StorageMetrics? storage = null)
    {
        Report.Progress(warmUp ? $"{name}: warming up for 3 s" : name);
        var warm = warmUp ? await RunLoopsAsync(TimeSpan.FromSeconds(3), clients, call) : new Loops(0, 0, TimeSpan.Zero, null);
        var before = storage?.Totals();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var measured = await RunLoopsAsync(duration, clients, call);
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var window = storage is null ? null : StorageWindow.Between(before!, storage.Totals());
        var rate = measured.Count / measured.Elapsed.TotalSeconds;
        Report.Progress($"  {rate:N0}/s ({measured.Count:N0} in {measured.Elapsed.TotalSeconds:0.00} s, {measured.Failed:N0} failed{(measured.FirstError is null ? "" : ", first: " + measured.FirstError)}); " +
            $"process CPU {cpuUsed.TotalSeconds / measured.Elapsed.TotalSeconds * 100:0}% of one core ({Environment.ProcessorCount} cores)");
        if (window is not null)
        {
            Report.Progress($"  storage: {window}");
        }
        return new Measured(rate, warm.Count + measured.Count, warm.Failed + measured.Failed, window);
    }

    private sealed record Loops(long Count, long Failed, TimeSpan Elapsed, string? FirstError);

    /// <summary>Closed loops, each checking the deadline (one timestamp, a few nanoseconds) before every call.</summary>
    private static async Task<Loops> RunLoopsAsync(TimeSpan duration, int clients, Func<Task> call)
    {
        long count = 0, failed = 0;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var loops = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            long done = 0, errors = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                try
                {
                    await call();
                    done++;
                }
                catch (Exception error)
                {
                    errors++;
                    Interlocked.CompareExchange(ref firstError, $"{error.GetType().Name}: {error.Message}", null);
                }
            }
            Interlocked.Add(ref count, done);
            Interlocked.Add(ref failed, errors);
        })).ToArray();
        await Task.WhenAll(loops);
        return new Loops(count, failed, Stopwatch.GetElapsedTime(started), firstError);
    }

    private sealed record SampleLine(string Sku, int Quantity, decimal UnitPrice, string Currency);

    private sealed record SampleState(string Id, List<SampleLine> Lines, DateTimeOffset UpdatedAt, int Version);

    /// <summary>How fast a typical small state document goes to JSON and back with the project's state serializer.</summary>
    private static double MeasureSerializer(TimeSpan duration)
    {
        var state = new SampleState("cart-1", [.. Enumerable.Range(0, 5).Select(i => new SampleLine($"SKU-{i}", i + 1, 19.99m + i, "EUR"))], DateTimeOffset.UtcNow, 7);
        for (var i = 0; i < 10_000; i++)
        {
            _ = StateJson.Deserialize<SampleState>(StateJson.SerializeToUtf8Bytes(state));
        }
        var stopwatch = Stopwatch.StartNew();
        long count = 0;
        while (stopwatch.Elapsed < duration)
        {
            for (var i = 0; i < 1000; i++)
            {
                var bytes = StateJson.SerializeToUtf8Bytes(state);
                _ = StateJson.Deserialize<SampleState>(bytes);
            }
            count += 1000;
        }
        var rate = count / stopwatch.Elapsed.TotalSeconds;
        Report.Progress($"state serializer round trips ({StateJson.SerializeToUtf8Bytes(state).Length} bytes of JSON): {rate:N0}/s");
        return rate;
    }
}
