using System.Diagnostics;
using System.Text.Json.Serialization;
using Commerce.Bench.Harness;
using Commerce.Bench.Inventory;

namespace Commerce.Bench.Dashboard;

/// <summary>One window of the dashboard benchmark: whether the dashboard was open, the hot SKU's throughput (none when idle), CPU used.</summary>
internal sealed record CostWindow(int Round, bool Open, double ReservationsPerSecond, double? SiloCpuPercent, double? MachineCpuPercent);

/// <summary>The dashboard benchmark's figures: one JSON line on stdout. CPU percentages: silo of one core, machine of all cores.</summary>
internal sealed record DashboardCostResult(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("rounds")] int Rounds,
    [property: JsonPropertyName("window_seconds")] int WindowSeconds,
    [property: JsonPropertyName("closed_ops_per_sec")] double ClosedOpsPerSec,
    [property: JsonPropertyName("open_ops_per_sec")] double OpenOpsPerSec,
    [property: JsonPropertyName("difference_pct")] double DifferencePct,
    [property: JsonPropertyName("difference_ci95_pct")] double DifferenceCi95Pct,
    [property: JsonPropertyName("closed_silo_cpu_pct")] double? ClosedSiloCpuPct,
    [property: JsonPropertyName("open_silo_cpu_pct")] double? OpenSiloCpuPct,
    [property: JsonPropertyName("idle_closed_machine_cpu_pct")] double? IdleClosedMachineCpuPct,
    [property: JsonPropertyName("idle_open_machine_cpu_pct")] double? IdleOpenMachineCpuPct,
    [property: JsonPropertyName("idle_closed_silo_cpu_pct")] double? IdleClosedSiloCpuPct,
    [property: JsonPropertyName("idle_open_silo_cpu_pct")] double? IdleOpenSiloCpuPct,
    [property: JsonPropertyName("dashboard_requests")] long DashboardRequests,
    [property: JsonPropertyName("dashboard_p50_ms")] double DashboardP50Ms,
    [property: JsonPropertyName("dashboard_p99_ms")] double DashboardP99Ms);

/// <summary>
/// <c>dashboard</c>: what an open operator dashboard costs the <c>hot-sku</c> workload. One silo
/// serves the hot-SKU grain workload without a pause while windows with the dashboard closed and
/// open alternate in ABBA order (closed-open, open-closed, …), so a slow drift of this shared
/// machine's speed weighs on both alike; each round's open window is compared with its closed one.
/// On this machine the hot SKU's throughput wanders by ±20% from one second to the next (it waits
/// on fsync, and the shared virtual disk's fsync latency wanders), far more than the 5% looked for:
/// separate runs cannot show it, and only many short alternating windows in one run narrow it down.
/// So the same alternation then runs on the silo at rest, where the machine's CPU, read from
/// /proc/stat, shows the dashboard's whole cost directly.
/// "Open" does what the page does: the history once, then <c>GET /api/v1/dashboard</c> a second
/// after each answer, as an operator. "Closed": nobody asks, and the silo's sampler goes idle — the
/// silo gets <c>Commerce:Dashboard:IdleAfter</c> = 1 s (the default is a minute) so that it does so
/// within each window's settling time. An open window thus starts its sampling afresh, slow queries
/// included: if anything, that overstates what a page left open costs.
/// </summary>
internal static class DashboardCostBenchmark
{
    private const string Sku = "hot-sku-1";

    /// <summary>Before each window's count starts: the page's first answers, or the sampler going idle after the last one.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2.5);

    /// <summary>The silo's sampler stops this long after the last request (it samples once a second), within <see cref="Settle"/>.</summary>
    private static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(1);

    /// <summary>The rounds at rest, after the load: the machine is quiet, so a few suffice.</summary>
    private const int IdleRounds = 3;

    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(int seconds, int clients, int rounds, BenchEnvironment environment)
    {
        var postgres = environment.RequirePostgres();
        await BenchDatabase.ResetAsync(postgres);
        Report.Progress($"== dashboard cost: hot-sku grain, {clients} clients, {rounds} rounds of a closed and an open {seconds} s window (+{Settle.TotalSeconds:0.#} s settling each)");
        await using var approach = new GrainApproach(postgres, new Dictionary<string, string> { ["Commerce__Dashboard__IdleAfter"] = IdleAfter.ToString() });
        await approach.PrepareAsync([Sku], InventoryBenchmark.StockPerSku);
        using var operators = await OperatorClient.SignInAsync(approach.Silo.HttpPort);

        long acknowledged = 0;
        long sequence = 0;
        using var stopLoad = new CancellationTokenSource();
        var load = LoadRun.RunAsync(clients, TimeSpan.MaxValue, async (client, _) =>
        {
            var reserved = await approach.ReserveAsync(Sku, $"r-{client}-{Interlocked.Increment(ref sequence)}");
            if (reserved)
            {
                Interlocked.Increment(ref acknowledged);
            }
            return reserved;
        }, stopLoad.Token);

        var page = new DashboardPage(operators);
        List<CostWindow> loaded, idle;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5)); // warm-up: JIT, connection pools, the first group commits
            loaded = await AlternateAsync("loaded", rounds, TimeSpan.FromSeconds(seconds), page, approach.SiloProcessId, () => Volatile.Read(ref acknowledged));
        }
        finally
        {
            await page.CloseAsync();
            stopLoad.Cancel();
        }
        var loadResult = await load;
        var audit = await approach.AuditAsync([Sku], InventoryBenchmark.StockPerSku);
        if (audit.Problem is not null || audit.Reserved < loadResult.Succeeded)
        {
            Report.Fail($"dashboard: the ledger holds {audit.Reserved:N0} reservations for {loadResult.Succeeded:N0} acknowledged ({audit.Problem ?? "some are missing"})");
        }
        // Under load the machine is busy and the dashboard's share of its CPU cannot be told apart;
        // on the same silo and data at rest it can: everything the machine does then is the dashboard
        // (the silo's sampling and answers, PostgreSQL's queries, this process playing the page).
        idle = await AlternateAsync("idle", IdleRounds, IdleWindow, page, approach.SiloProcessId, () => 0);

        var result = Summarize(clients, rounds, seconds, loaded, idle, page);
        Report.Line(result);
        Report.Progress("");
        Report.Progress($"under load: closed {result.ClosedOpsPerSec:N0}/s, open {result.OpenOpsPerSec:N0}/s: {result.DifferencePct:+0.0;-0.0}% ± {result.DifferenceCi95Pct:0.0}% (95% interval over {rounds} paired rounds); " +
            $"silo CPU {result.ClosedSiloCpuPct:0}% closed, {result.OpenSiloCpuPct:0}% open (of one core)");
        Report.Progress($"at rest: machine CPU {result.IdleClosedMachineCpuPct:0.00}% closed, {result.IdleOpenMachineCpuPct:0.00}% open (of all cores); silo CPU {result.IdleClosedSiloCpuPct:0.00}% closed, {result.IdleOpenSiloCpuPct:0.00}% open (of one core)");
        Report.Progress($"{result.DashboardRequests:N0} dashboard answers, p50 {result.DashboardP50Ms} ms, p99 {result.DashboardP99Ms} ms");
        return Report.CheckFailed ? 1 : 0;
    }

    /// <summary>Rounds of a closed and an open window in ABBA order, each after <see cref="Settle"/>.</summary>
    private static async Task<List<CostWindow>> AlternateAsync(string phase, int rounds, TimeSpan length, DashboardPage page, int siloProcessId, Func<long> acknowledged)
    {
        var windows = new List<CostWindow>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var open in round % 2 == 0 ? new[] { false, true } : [true, false])
            {
                if (open)
                {
                    page.Open();
                }
                await Task.Delay(Settle);
                var window = await MeasureAsync(round, open, length, siloProcessId, acknowledged);
                Report.Progress($"  {phase} round {round + 1,2} {(open ? "open  " : "closed")}: {window.ReservationsPerSecond,9:N0} reservations/s, silo CPU {window.SiloCpuPercent:0.0}%, machine CPU {window.MachineCpuPercent:0.0}%");
                windows.Add(window);
                if (open)
                {
                    await page.CloseAsync();
                }
            }
        }
        return windows;
    }

    /// <summary>One window: reservations acknowledged, the silo process's CPU (from /proc/&lt;pid&gt;/stat) and the machine's (from /proc/stat).</summary>
    private static async Task<CostWindow> MeasureAsync(int round, bool open, TimeSpan length, int siloProcessId, Func<long> acknowledged)
    {
        var silo = ProcessCpu.Read(siloProcessId);
        var count = acknowledged();
        var machine = MachineCpu.Read();
        var clock = Stopwatch.StartNew();
        await Task.Delay(length);
        var reservations = acknowledged() - count;
        var machineCpu = MachineCpu.BusyPercent(machine, MachineCpu.Read());
        var elapsed = clock.Elapsed;
        var siloCpu = ProcessCpu.PercentOfOneCore(silo, ProcessCpu.Read(siloProcessId), elapsed);
        return new CostWindow(round, open, reservations / elapsed.TotalSeconds, siloCpu, machineCpu);
    }

    /// <summary>
    /// The open windows against the closed ones: means over all windows, and the mean of each round's
    /// difference (open minus closed) relative to the closed mean, with its 95% interval (Student's t:
    /// rounds are few). Differences of rates, not ratios: a mean of ratios of noisy rates leans upward.
    /// </summary>
    private static DashboardCostResult Summarize(int clients, int rounds, int seconds, List<CostWindow> loaded, List<CostWindow> idle, DashboardPage page)
    {
        var closedMean = loaded.Where(w => !w.Open).Average(w => w.ReservationsPerSecond);
        var openMean = loaded.Where(w => w.Open).Average(w => w.ReservationsPerSecond);
        var differences = loaded.GroupBy(w => w.Round)
            .Select(r => r.Single(w => w.Open).ReservationsPerSecond - r.Single(w => !w.Open).ReservationsPerSecond)
            .ToList();
        var mean = differences.Average();
        var spread = differences.Count > 1 ? Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (differences.Count - 1)) : double.NaN;
        var halfWidth = StudentT975(differences.Count - 1) * spread / Math.Sqrt(differences.Count);
        var latencies = page.Latencies();
        return new DashboardCostResult("dashboard-cost", clients, rounds, seconds,
            Math.Round(closedMean), Math.Round(openMean),
            Math.Round(mean / closedMean * 100, 2), Math.Round(halfWidth / closedMean * 100, 2),
            Average(loaded, false, w => w.SiloCpuPercent), Average(loaded, true, w => w.SiloCpuPercent),
            Average(idle, false, w => w.MachineCpuPercent), Average(idle, true, w => w.MachineCpuPercent),
            Average(idle, false, w => w.SiloCpuPercent), Average(idle, true, w => w.SiloCpuPercent),
            latencies.Length, LoadRun.Percentile(latencies, 0.50), LoadRun.Percentile(latencies, 0.99));
    }

    private static double? Average(List<CostWindow> windows, bool open, Func<CostWindow, double?> figure) =>
        windows.Where(w => w.Open == open).Select(figure).ToList() is var values && values.All(v => v is not null)
            ? Math.Round(values.Average(v => v!.Value), 2)
            : null;

    /// <summary>The 97.5% quantile of Student's t with <paramref name="degrees"/> degrees of freedom (Cornish–Fisher expansion; within 1% from 3 up).</summary>
    private static double StudentT975(int degrees)
    {
        const double z = 1.959964;
        double n = Math.Max(degrees, 1);
        return z + (Math.Pow(z, 3) + z) / (4 * n) + (5 * Math.Pow(z, 5) + 16 * Math.Pow(z, 3) + 3 * z) / (96 * n * n)
            + (3 * Math.Pow(z, 7) + 19 * Math.Pow(z, 5) + 17 * Math.Pow(z, 3) - 15 * z) / (384 * n * n * n);
    }
}
