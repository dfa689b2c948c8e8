using System.Diagnostics;
using System.Text.Json;
using Commerce.Bench.Harness;
using Commerce.Runtime;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.PostgreSql;
using Commerce.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Bench;

/// <summary>
/// `deploy/bench cluster` (issue 3): <c>cross_silo_calls_per_sec</c>, no-op calls made on silo A to
/// grains owned by silo B (two clustered silos in this process, talking over loopback TCP), and
/// <c>failover_ms</c>, from kill -9 of a real silo process to the first successful call through a
/// cluster client on a grain that silo owned.
/// </summary>
internal static class ClusterBenchmark
{
    public static async Task<int> RunAsync(int seconds, int clients, BenchEnvironment environment)
    {
        var postgres = environment.RequirePostgres();
        var result = new Dictionary<string, object?>
        {
            ["benchmark"] = "cluster",
            ["clients"] = clients,
            ["seconds"] = seconds,
            ["processors"] = Environment.ProcessorCount,
        };

        await BenchCluster.ResetDatabaseAsync(postgres);
        var (rate, p50, p99) = await CrossSiloCallsAsync(postgres, seconds, clients);
        result["cross_silo_calls_per_sec"] = Math.Round(rate);
        result["cross_silo_p50_ms"] = p50;
        result["cross_silo_p99_ms"] = p99;

        await BenchCluster.ResetDatabaseAsync(postgres);
        result["failover_ms"] = Math.Round(await FailoverAsync(postgres));

        Report.Line(result);
        return Report.CheckFailed ? 1 : 0;
    }

    private static Task<TestCluster> StartSiloAsync(string connectionString) =>
        TestCluster.StartAsync(options =>
        {
            options.GrainAssemblies.Add(typeof(NoopGrain).Assembly);
            options.ConfigureServices = services => services.AddPostgresProviders(connectionString).AddPostgresClustering(cluster =>
            {
                cluster.SiloPort = 0;
                cluster.ProbeInterval = TimeSpan.FromMilliseconds(500);
                cluster.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                cluster.LeaseDuration = TimeSpan.FromSeconds(4);
                cluster.LeaseRenewInterval = TimeSpan.FromMilliseconds(500);
                cluster.RoutingRefreshInterval = TimeSpan.FromMilliseconds(500);
            });
        });

    private static async Task<(double Rate, double P50, double P99)> CrossSiloCallsAsync(string postgres, int seconds, int clients)
    {
        Report.Progress($"== cluster / cross-silo no-op calls: 2 silos in this process on loopback TCP, {clients} callers on silo A, grains on silo B, {seconds} s");
        await using var a = await StartSiloAsync(postgres);
        await using var b = await StartSiloAsync(postgres);
        await BenchCluster.WaitForPartitionsAsync(postgres, 2);
        await WaitForAsync(() => Partitions(a).Count > 0 && Partitions(b).Count > 0 && Partitions(a).Count + Partitions(b).Count == PartitionMap.Count);

        // One grain per caller, each in a partition silo B owns: every call leaves silo A.
        var ownedByB = Partitions(b).ToHashSet();
        var keys = new List<string>();
        for (var i = 0; keys.Count < clients; i++)
        {
            var key = $"noop-{i}";
            if (ownedByB.Contains(PartitionMap.PartitionOf(new GrainId(nameof(NoopGrain), key))))
            {
                keys.Add(key);
            }
        }
        var grains = keys.Select(k => a.GrainFactory.GetGrain<INoopGrain>(k)).ToArray();
        await Task.WhenAll(grains.Select(g => g.Noop()));

        var warmUp = await LoadRun.RunAsync(clients, TimeSpan.FromSeconds(3), async (client, _) => { await grains[client].Noop(); return true; });
        Report.Progress($"  warm-up: {warmUp.OpsPerSecond:N0}/s");
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var measured = await LoadRun.RunAsync(clients, TimeSpan.FromSeconds(seconds), async (client, _) => { await grains[client].Noop(); return true; });
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Report.Progress($"  measured: {measured.OpsPerSecond:N0}/s, p50 {measured.P50Ms} ms, p99 {measured.P99Ms} ms, {measured.Failed} failed{(measured.FirstError is null ? "" : " (first: " + measured.FirstError + ")")}; " +
            $"process CPU {cpuUsed.TotalSeconds:0.0} s ({cpuUsed.TotalSeconds / measured.Elapsed.TotalSeconds * 100:0}% of one core, {Environment.ProcessorCount} cores)");
        var activationsOnA = NoopActivations(a);
        var activationsOnB = NoopActivations(b);
        Report.Progress($"  no-op activations: {activationsOnA} on silo A, {activationsOnB} on silo B");
        if (activationsOnA != 0 || measured.Failed > 0)
        {
            Report.Fail($"cross-silo calls: {activationsOnA} no-op grains were activated on the calling silo, {measured.Failed} calls failed");
        }
        return (measured.OpsPerSecond, measured.P50Ms, measured.P99Ms);
    }

    /// <summary>Two silo processes and a cluster client; kill -9 the owner of a grain and time the first call that succeeds again.</summary>
    private static async Task<double> FailoverAsync(string postgres)
    {
        Report.Progress("== cluster / fail-over: 2 silo processes, kill -9 the owner of a grain, time to the first successful call through a cluster client");
        var silos = new List<SiloProcess>();
        try
        {
            silos.Add(await SiloProcess.StartAsync(postgres, "bench-failover-0", [typeof(NoopGrain).Assembly]));
            silos.Add(await SiloProcess.StartAsync(postgres, "bench-failover-1", [typeof(NoopGrain).Assembly]));
            await BenchCluster.WaitForPartitionsAsync(postgres, 2);
            await using var client = await BenchCluster.StartClientAsync(postgres, typeof(NoopGrain).Assembly);
            var victim = silos[1];
            var key = await KeyOwnedByAsync(postgres, victim);
            var grain = client.GrainFactory.GetGrain<INoopGrain>(key);
            await grain.Noop();
            Report.Progress($"  grain {key} lives on the silo at port {victim.SiloPort} (pid {victim.ProcessId}); killing it");

            var stopwatch = Stopwatch.StartNew();
            await victim.KillAsync();
            var failedAttempts = 0;
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (true)
            {
                try
                {
                    await grain.Noop().WaitAsync(TimeSpan.FromSeconds(5), patience.Token);
                    break;
                }
                catch (Exception) when (!patience.IsCancellationRequested)
                {
                    failedAttempts++;
                    await Task.Delay(10, patience.Token);
                }
            }
            var elapsed = stopwatch.Elapsed.TotalMilliseconds;
            Report.Progress($"  first successful call after {elapsed:N0} ms ({failedAttempts} failed attempts before it)");
            return elapsed;
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    private static async Task<string> KeyOwnedByAsync(string postgres, SiloProcess silo)
    {
        await using var database = NpgsqlDataSource.Create(postgres);
        var owners = new Dictionary<int, string>();
        await using (var command = database.CreateCommand("SELECT partition, owner FROM partition_leases WHERE owner IS NOT NULL"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                owners[reader.GetInt32(0)] = reader.GetString(1);
            }
        }
        var prefix = $"127.0.0.1:{silo.SiloPort}@";
        for (var i = 0; ; i++)
        {
            var key = $"failover-{i}";
            if (owners.TryGetValue(PartitionMap.PartitionOf(new GrainId(nameof(NoopGrain), key)), out var owner) && owner.StartsWith(prefix, StringComparison.Ordinal))
            {
                return key;
            }
        }
    }

    private static IReadOnlyList<int> Partitions(TestCluster silo) =>
        silo.Services.GetRequiredService<Commerce.Runtime.Telemetry.SiloTelemetry>().Snapshot().Cluster?.Partitions ?? [];

    private static int NoopActivations(TestCluster silo) =>
        silo.Services.GetRequiredService<Commerce.Runtime.Telemetry.SiloTelemetry>().Snapshot().GrainTypes
            .Where(g => g.GrainType == nameof(NoopGrain)).Sum(g => g.Activations);

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
