using System.Diagnostics;
using System.Globalization;
using Commerce.Bench.Harness;
using Commerce.Grains.Inventory;
using Commerce.Testing;
using Npgsql;

namespace Commerce.Bench;

/// <summary>
/// `deploy/bench cluster`: <c>cross_silo_calls_per_sec</c>, no-op calls that caller grains on silo A make
/// to no-op grains on silo B (two Orleans silos hosted in this process, clustered the product's way on the
/// bench PostgreSQL, talking over loopback TCP); and <c>failover_ms</c>, two product silo processes under
/// load from a cluster client on a SKU grain hosted by one of them, that one killed with SIGKILL.
/// </summary>
internal static class ClusterBenchmark
{
    /// <summary>Calls per caller-grain turn: long enough that the bench's call to the caller grain is noise, short enough to stop on time.</summary>
    private const int CallsPerBurst = 64;

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

        await BenchDatabase.ResetAsync(postgres);
        var (rate, p50, p99) = await CrossSiloCallsAsync(postgres, seconds, clients);
        result["cross_silo_calls_per_sec"] = Math.Round(rate);
        result["cross_silo_p50_ms"] = p50;
        result["cross_silo_p99_ms"] = p99;

        await BenchDatabase.ResetAsync(postgres);
        var failover = await FailoverAsync(postgres, clients);
        result["failover_ms"] = failover.FirstAnswerMs;
        result["failover_declared_dead_ms"] = failover.DeclaredDeadMs;
        result["failover_longest_wait_ms"] = failover.LongestWaitMs;
        result["failover_all_callers_answered_ms"] = failover.AllAnsweredMs;
        result["failover_acknowledged"] = failover.Acknowledged;
        result["failover_lost"] = failover.Lost;

        Report.Line(result);
        return Report.CheckFailed ? 1 : 0;
    }

    private static async Task<(double Rate, double P50, double P99)> CrossSiloCallsAsync(string postgres, int seconds, int clients)
    {
        Report.Progress($"== cluster / cross-silo no-op calls: 2 Orleans silos in this process (ADO.NET clustering on PostgreSQL, loopback TCP), " +
            $"{clients} caller grains on silo A each calling a no-op grain on silo B, {seconds} s");
        var clusterId = "bench-cross-" + Guid.NewGuid().ToString("N")[..8];
        await using var a = await InProcessSilo.StartClusteredAsync(postgres, clusterId);
        await using var b = await InProcessSilo.StartClusteredAsync(postgres, clusterId);
        await WaitForSilosAsync(a.Grains, 2);
        await WaitForSilosAsync(b.Grains, 2);
        Report.Progress($"  silo A {a.Address}, silo B {b.Address}");

        // The no-op grains are placed on B (prefer-local placement, first called through B's own factory);
        // the callers on A (the same, through A's). Every call a caller makes then leaves A for B over TCP.
        var targets = Enumerable.Range(0, clients).Select(i => $"noop-{i}").ToArray();
        await Task.WhenAll(targets.Select(t => b.Grains.GetGrain<INoopGrain>(t).Noop()));
        var callers = Enumerable.Range(0, clients).Select(i => a.Grains.GetGrain<ICallerGrain>($"caller-{i}")).ToArray();
        await Task.WhenAll(callers.Select(c => c.Where()));
        await CheckPlacementAsync(a, b, targets, callers, "before the run");

        async Task<long[]> Burst(int client) => await callers[client].Burst(targets[client], CallsPerBurst);
        var warmUp = await RunBurstsAsync(clients, TimeSpan.FromSeconds(3), Burst);
        Report.Progress($"  warm-up: {warmUp.Calls / warmUp.Elapsed.TotalSeconds:N0}/s");
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var measured = await RunBurstsAsync(clients, TimeSpan.FromSeconds(seconds), Burst);
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var rate = measured.Calls / measured.Elapsed.TotalSeconds;
        var p50 = LoadRun.Percentile(measured.SortedTicks, 0.50);
        var p99 = LoadRun.Percentile(measured.SortedTicks, 0.99);
        Report.Progress($"  measured: {rate:N0} calls/s ({measured.Calls:N0} in {measured.Elapsed.TotalSeconds:0.00} s), p50 {p50} ms, p99 {p99} ms, {measured.Failed} bursts failed" +
            $"{(measured.FirstError is null ? "" : " (first: " + measured.FirstError + ")")}; process CPU (both silos) {cpuUsed.TotalSeconds / measured.Elapsed.TotalSeconds * 100:0}% of one core ({Environment.ProcessorCount} cores)");
        await CheckPlacementAsync(a, b, targets, callers, "after the run");
        if (measured.Failed > 0 || warmUp.Failed > 0)
        {
            Report.Fail($"cross-silo calls: {warmUp.Failed + measured.Failed} bursts failed ({measured.FirstError ?? warmUp.FirstError})");
        }
        return (rate, p50, p99);
    }

    /// <summary>Every no-op target is activated on B and every caller on A, from the directory and from the activations themselves.</summary>
    private static async Task CheckPlacementAsync(InProcessSilo a, InProcessSilo b, string[] targets, ICallerGrain[] callers, string when)
    {
        var management = a.Grains.GetGrain<IManagementGrain>(0);
        var misplacedTargets = 0;
        foreach (var target in targets)
        {
            var grain = b.Grains.GetGrain<INoopGrain>(target);
            if (await management.GetActivationAddress(grain) != b.Address || await grain.Where() != b.Address.ToString())
            {
                misplacedTargets++;
            }
        }
        var misplacedCallers = 0;
        foreach (var caller in callers)
        {
            if (await management.GetActivationAddress(caller) != a.Address || await caller.Where() != a.Address.ToString())
            {
                misplacedCallers++;
            }
        }
        Report.Progress($"  placement {when}: {targets.Length - misplacedTargets} of {targets.Length} no-op grains on B, {callers.Length - misplacedCallers} of {callers.Length} callers on A");
        if (misplacedTargets > 0 || misplacedCallers > 0)
        {
            Report.Fail($"cross-silo calls {when}: {misplacedTargets} no-op grains not on silo B, {misplacedCallers} callers not on silo A: some calls did not cross TCP");
        }
    }

    private sealed record Bursts(long Calls, long Failed, TimeSpan Elapsed, long[] SortedTicks, string? FirstError);

    private static async Task<Bursts> RunBurstsAsync(int clients, TimeSpan duration, Func<int, Task<long[]>> burst)
    {
        var stopwatch = Stopwatch.StartNew();
        string? firstError = null;
        var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var ticks = new List<long>(1 << 16);
            long failed = 0;
            while (stopwatch.Elapsed < duration)
            {
                try
                {
                    ticks.AddRange(await burst(client));
                }
                catch (Exception error)
                {
                    failed++;
                    Interlocked.CompareExchange(ref firstError, $"{error.GetType().Name}: {error.Message}", null);
                }
            }
            return (ticks, failed);
        })).ToArray();
        var results = await Task.WhenAll(loops);
        var elapsed = stopwatch.Elapsed;
        var all = results.SelectMany(r => r.ticks).ToArray();
        Array.Sort(all);
        return new Bursts(all.Length, results.Sum(r => r.failed), elapsed, all, firstError);
    }

    private static async Task WaitForSilosAsync(IGrainFactory grains, int count)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await management.GetHosts(onlyActive: true)).Count != count)
        {
            await Task.Delay(100, patience.Token);
        }
    }

    /// <param name="AllAnsweredMs">Null when some caller got no answer within 60 s of the kill (the run fails then).</param>
    private sealed record Failover(double? FirstAnswerMs, double DeclaredDeadMs, double LongestWaitMs, double? AllAnsweredMs, long Acknowledged, long Lost);

    /// <summary>How often the probe asks the grain again after the kill, abandoning the call before (which may wait for its response timeout).</summary>
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Two product silo processes and a cluster client here; <c>clients</c> callers reserve one unit at a
    /// time of a SKU whose grain lives on one of the silos; that silo is killed with SIGKILL. A failed call
    /// is retried (10 ms later) with the same reservation id (idempotent), so a reservation committed whose
    /// answer was lost counts once. Measured from the kill: when the grain answers again (a probe asking for
    /// its stock every 100 ms, each ask a new call, the previous one abandoned); when the membership table
    /// says the victim is dead; the longest any caller waited between two answers; when every caller had an
    /// answer to a call made after the kill. Then every acknowledged reservation must be in the SKU's ledger
    /// rows in PostgreSQL, none twice, and the stored state must agree.
    /// </summary>
    private static async Task<Failover> FailoverAsync(string postgres, int clients)
    {
        Report.Progress($"== cluster / fail-over: 2 product silo processes, {clients} callers through a cluster client reserving on one SKU, kill -9 the silo that hosts it");
        const string sku = "failover-sku";
        var silos = new List<SiloProcess>();
        try
        {
            silos.Add(await SiloProcess.StartAsync(postgres, "bench-failover-0", settings: BenchSiloSettings.With(null)));
            silos.Add(await SiloProcess.StartAsync(postgres, "bench-failover-1", settings: BenchSiloSettings.With(null)));
            await using var client = await BenchClient.ConnectAsync(postgres);
            await WaitForSilosAsync(client.Grains, 2);
            var grain = client.Grains.GetGrain<ISkuInventoryGrain>(sku);
            await BenchDatabase.AddToCatalogAsync(postgres, [sku]);
            var received = await grain.Receive(new ReceiveStock("main", Inventory.InventoryBenchmark.StockPerSku, "bench", OperationId: "initial-stock"));
            if (!received.Succeeded)
            {
                throw new InvalidOperationException($"Receiving stock for {sku} failed: {received.Message}");
            }
            var host = await client.Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain)
                ?? throw new InvalidOperationException($"The directory does not know where {sku} lives.");
            var victim = silos.Single(s => s.SiloPort == host.Endpoint.Port);
            Report.Progress($"  {sku} lives on the silo at port {victim.SiloPort} (pid {victim.ProcessId}), the victim");

            var clock = Stopwatch.StartNew();
            long killedAt = long.MaxValue; // Stopwatch ticks of the kill
            var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
            long failedCalls = 0;
            string? firstError = null;
            var firstAfterKill = new long[clients]; // ticks from the kill to the caller's first answer to a call started after it
            var longestWait = new long[clients];
            using var stop = new CancellationTokenSource();
            var hold = TimeSpan.FromHours(1);
            var loops = Enumerable.Range(0, clients).Select(caller => Task.Run(async () =>
            {
                var lastAnswer = clock.ElapsedTicks;
                for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
                {
                    var id = $"f-{caller}-{sequence}";
                    while (!stop.IsCancellationRequested)
                    {
                        var started = clock.ElapsedTicks;
                        try
                        {
                            var result = await grain.Reserve(new ReserveStock(id, 1, hold, Actor: "bench"));
                            if (!result.Succeeded)
                            {
                                throw new InvalidOperationException($"{result.Error}: {result.Message}");
                            }
                            acknowledged.Add(id);
                            var now = clock.ElapsedTicks;
                            longestWait[caller] = Math.Max(longestWait[caller], now - lastAnswer);
                            lastAnswer = now;
                            var kill = Interlocked.Read(ref killedAt);
                            if (started >= kill && firstAfterKill[caller] == 0)
                            {
                                firstAfterKill[caller] = now - kill;
                            }
                            break;
                        }
                        catch (Exception error)
                        {
                            Interlocked.Increment(ref failedCalls);
                            Interlocked.CompareExchange(ref firstError, $"{error.GetType().Name}: {error.Message}", null);
                            await Task.Delay(10);
                        }
                    }
                }
            })).ToArray();

            await Task.Delay(TimeSpan.FromSeconds(2));
            var beforeKill = acknowledged.Count;
            // SIGKILL straight from here, so that the clock starts when the signal is sent (SiloProcess's
            // kill first walks the process tree); its KillAsync then only reaps the dead process.
            if (Signals.Kill(victim.ProcessId, Signals.SigKill) != 0)
            {
                throw new InvalidOperationException($"kill -9 {victim.ProcessId} failed");
            }
            Interlocked.Exchange(ref killedAt, clock.ElapsedTicks);
            var probe = ProbeAsync(grain, clock);
            var declaredDead = DeclaredDeadAsync(postgres, victim.SiloPort, clock);
            await victim.KillAsync();
            Report.Progress($"  killed it after {beforeKill:N0} acknowledged reservations (the next activation rebuilds its holds from that many ledger rows)");
            using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                while (firstAfterKill.Any(t => t == 0) && !patience.IsCancellationRequested)
                {
                    await Task.Delay(20);
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(1)); // the load goes on for a second on the survivor
            stop.Cancel();
            await Task.WhenAll(loops);

            double Ms(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency);
            var unanswered = firstAfterKill.Count(t => t == 0);
            var answered = firstAfterKill.Where(t => t > 0).ToArray();
            double? first = answered.Length == 0 ? null : Ms(answered.Min());
            double? all = unanswered > 0 ? null : Ms(answered.Max());
            var longest = Ms(longestWait.Max());
            var probed = await probe is { } answeredAt ? answeredAt - Interlocked.Read(ref killedAt) : (long?)null;
            var dead = await declaredDead - Interlocked.Read(ref killedAt);
            Report.Progress($"  after the kill: the membership table declared the victim dead at {Ms(dead):N0} ms; {sku} answered the probe again at {(probed is { } p ? Ms(p).ToString("N0", CultureInfo.InvariantCulture) : "never (60 s)")} ms; " +
                $"the first load caller's call made after the kill was answered at {first:N0} ms, every caller's by {all:N0} ms; the longest wait of a caller for its next answer {longest:N0} ms; " +
                $"{failedCalls:N0} failed calls retried{(firstError is null ? "" : " (first: " + firstError + ")")}");
            if (probed is null)
            {
                Report.Fail($"fail-over: {sku} did not answer the probe within 60 s of the kill");
            }
            if (unanswered > 0)
            {
                Report.Fail($"fail-over: {unanswered} of {clients} callers got no answer within 60 s of the kill");
            }

            var lost = await AuditFailoverAsync(postgres, sku, acknowledged.ToHashSet(StringComparer.Ordinal));
            return new Failover(probed is { } q ? Ms(q) : null, Ms(dead), longest, all, acknowledged.Count, lost);
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    /// <summary>Asks the grain for its stock every <see cref="ProbeEvery"/> until one ask is answered; returns the clock's ticks then (null: not within 60 s).</summary>
    private static async Task<long?> ProbeAsync(ISkuInventoryGrain grain, Stopwatch clock)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!patience.IsCancellationRequested)
        {
            var ask = grain.GetStock();
            try
            {
                await ask.WaitAsync(ProbeEvery, patience.Token);
                return clock.ElapsedTicks;
            }
            catch (TimeoutException)
            {
                // Still waiting: leave this call to its fate and ask again.
            }
            catch (OperationCanceledException) when (patience.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                await Task.Delay(ProbeEvery);
            }
            _ = ask.ContinueWith(t => t.Exception, TaskScheduler.Default); // observe the abandoned call's failure
        }
        return null;
    }

    /// <summary>Polls Orleans' membership table until the silo on <paramref name="siloPort"/> is Dead (6); returns the clock's ticks then.</summary>
    private static async Task<long> DeclaredDeadAsync(string postgres, int siloPort, Stopwatch clock)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!patience.IsCancellationRequested)
        {
            if (await BenchDatabase.ScalarAsync(postgres, "SELECT count(*) FROM orleansmembershiptable WHERE port = $1 AND status = 6", siloPort) > 0)
            {
                return clock.ElapsedTicks;
            }
            await Task.Delay(20);
        }
        return clock.ElapsedTicks;
    }

    /// <summary>From PostgreSQL: every acknowledged reservation has its ledger row, none twice, and the stored state agrees. Returns the acknowledged ones missing.</summary>
    private static async Task<long> AuditFailoverAsync(string postgres, string sku, HashSet<string> acknowledged)
    {
        await using var database = NpgsqlDataSource.Create(postgres);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        long rows = 0;
        await using (var command = database.CreateCommand(
            "SELECT payload->>'reservationId' FROM grain_journal WHERE grain_type = 'SkuInventory' AND grain_key = $1 AND kind = 'ledger' AND payload->>'kind' = 'Reserved'"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = sku });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored.Add(reader.GetString(0));
                rows++;
            }
        }
        var stateReserved = await BenchDatabase.ScalarAsync(postgres,
            "SELECT (payload->'warehouses'->'main'->>'reserved')::bigint FROM grain_state WHERE grain_type = 'SkuInventory' AND grain_key = $1", sku);
        var lost = acknowledged.Count(id => !stored.Contains(id));
        Report.Progress($"  audit: {acknowledged.Count:N0} acknowledged, {rows:N0} Reserved ledger rows ({stored.Count:N0} distinct ids), state says {stateReserved:N0} reserved, {lost} acknowledged missing");
        if (lost > 0 || rows != stored.Count || stateReserved != rows)
        {
            Report.Fail($"fail-over: {lost} acknowledged reservations lost, {rows - stored.Count} ledger rows duplicated, state reserved {stateReserved} vs {rows} ledger rows");
        }
        return lost;
    }
}

/// <summary>POSIX signals, sent with no child process in between.</summary>
internal static class Signals
{
    public const int SigKill = 9;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int processId, int signal);
}
