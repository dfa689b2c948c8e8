using System.Diagnostics;
using System.Text.Json;
using Commerce.Runtime;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.PostgreSql;
using Commerce.Runtime.Serialization;
using Commerce.Runtime.Storage;
using Commerce.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Bench;

/// <summary>
/// `deploy/bench runtime`: the runtime's own hot paths, in one process. Prints one JSON object on
/// stdout; progress goes to stderr.
/// </summary>
internal static class RuntimeBenchmark
{
    public static async Task<int> RunAsync(int seconds, int clients, string? connectionString)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        var result = new Dictionary<string, object?>
        {
            ["benchmark"] = "runtime",
            ["clients"] = clients,
            ["seconds"] = seconds,
            ["processors"] = Environment.ProcessorCount,
        };

        await using (var silo = await StartSilo(connectionString: null, groupCommit: true))
        {
            var grain = silo.GrainFactory.GetGrain<INoopGrain>("noop");
            await grain.Noop();
            result["local_calls_per_sec"] = Math.Round(await Measure("local no-op calls", duration, clients, () => grain.Noop()));
        }

        result["state_serializer_roundtrips_per_sec"] = Math.Round(MeasureSerializer(duration));

        if (connectionString is null)
        {
            Console.Error.WriteLine("COMMERCE_BENCH_POSTGRES is not set: skipping the durable-write figures.");
        }
        else
        {
            foreach (var (name, groupCommit) in new[] { ("hot_grain_durable_writes_per_sec", true), ("hot_grain_durable_writes_per_sec_no_batching", false) })
            {
                await using var silo = await StartSilo(connectionString, groupCommit);
                var key = $"{name}-{Guid.NewGuid():N}";
                var grain = silo.GrainFactory.GetGrain<IHotCounterGrain>(key);
                await grain.Increment();
                long acknowledged = 1;
                result[name] = Math.Round(await Measure(name, duration, clients, async () =>
                {
                    await grain.Increment();
                    Interlocked.Increment(ref acknowledged);
                }));
                // Every acknowledged increment must be in PostgreSQL: the figure means nothing otherwise.
                var stored = await silo.Services.GetRequiredService<IGrainStorage>().ReadAsync(new GrainId(nameof(HotCounterGrain), key), "counter", default);
                var durable = GrainSerializer.Deserialize<HotCounterState>(stored!.Json).Value;
                if (durable < acknowledged)
                {
                    throw new InvalidOperationException($"{name}: {acknowledged} increments acknowledged but only {durable} stored.");
                }
                result[name + "_lost"] = 0;
                var writes = silo.Services.GetRequiredService<Commerce.Runtime.Telemetry.SiloTelemetry>().Snapshot().Storage.Writes;
                Console.Error.WriteLine($"  {writes.Count:N0} storage writes, {acknowledged / (double)writes.Count:0.0} increments per write, commit mean {writes.MeanMs:0.000} ms, p99 {writes.P99Ms:0.000} ms");
            }
        }

        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static Task<TestCluster> StartSilo(string? connectionString, bool groupCommit) =>
        TestCluster.StartAsync(options =>
        {
            options.GrainAssemblies.Add(typeof(NoopGrain).Assembly);
            options.ConfigureSilo = s => s.GroupCommit = groupCommit;
            options.ConfigureServices = s =>
            {
                if (connectionString is null)
                {
                    s.AddInMemoryGrainStorage();
                }
                else
                {
                    s.AddPostgresProviders(connectionString);
                }
            };
        });

    /// <summary>Runs <paramref name="clients"/> loops of <paramref name="call"/> for a warm-up second, then for <paramref name="duration"/>; returns completed calls per second.</summary>
    private static async Task<double> Measure(string name, TimeSpan duration, int clients, Func<Task> call)
    {
        Console.Error.Write($"{name}: warming up... ");
        await RunLoops(TimeSpan.FromSeconds(3), clients, call);
        var (count, elapsed) = await RunLoops(duration, clients, call);
        var rate = count / elapsed.TotalSeconds;
        Console.Error.WriteLine($"{rate:N0}/s ({count:N0} in {elapsed.TotalSeconds:0.00} s)");
        return rate;
    }

    private static async Task<(long Count, TimeSpan Elapsed)> RunLoops(TimeSpan duration, int clients, Func<Task> call)
    {
        long count = 0;
        var stopwatch = Stopwatch.StartNew();
        var deadline = stopwatch.Elapsed + duration;
        var loops = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            long local = 0;
            while (stopwatch.Elapsed < deadline)
            {
                for (var i = 0; i < 64; i++)
                {
                    await call();
                }
                local += 64;
            }
            Interlocked.Add(ref count, local);
        })).ToArray();
        await Task.WhenAll(loops);
        return (count, stopwatch.Elapsed);
    }

    private sealed record SampleLine(string Sku, int Quantity, decimal UnitPrice, string Currency);

    private sealed record SampleState(string Id, List<SampleLine> Lines, DateTimeOffset UpdatedAt, int Version);

    /// <summary>How fast a typical small state document goes to JSON and back: the cost paid once per group commit.</summary>
    private static double MeasureSerializer(TimeSpan duration)
    {
        var state = new SampleState("cart-1", [.. Enumerable.Range(0, 5).Select(i => new SampleLine($"SKU-{i}", i + 1, 19.99m + i, "EUR"))], DateTimeOffset.UtcNow, 7);
        var stopwatch = Stopwatch.StartNew();
        long count = 0;
        while (stopwatch.Elapsed < duration)
        {
            for (var i = 0; i < 1000; i++)
            {
                var bytes = GrainSerializer.SerializeToUtf8Bytes(state);
                _ = GrainSerializer.Deserialize<SampleState>(bytes);
            }
            count += 1000;
        }
        var rate = count / stopwatch.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"state serializer round trips: {rate:N0}/s");
        return rate;
    }
}
