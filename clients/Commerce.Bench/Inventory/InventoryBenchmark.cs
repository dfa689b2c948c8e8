using System.Diagnostics;
using Commerce.Bench.Harness;

namespace Commerce.Bench.Inventory;

/// <summary>
/// <c>hot-sku</c> (every client reserves one unit of the same SKU) and <c>many-sku</c> (uniformly over
/// 10,000 SKUs): each approach in turn, same clients and duration, audited from its store afterwards.
/// </summary>
internal static class InventoryBenchmark
{
    public static readonly string[] Approaches = ["grain", "grain-unbatched", "grain-lean", "pg-for-update", "pg-conditional-update", "redis-lua-always", "redis-lua-everysec", "redis-lua-no-persistence"];

    /// <summary>Stock per SKU: far more than any run can reserve, so nobody is refused for lack of it.</summary>
    internal const int StockPerSku = 1_000_000_000;

    /// <summary>Warm-up before each approach's measured run (never longer than the run itself), the same for every approach.</summary>
    private const int WarmUpSeconds = 5;

    public static async Task<int> RunAsync(string scenario, int seconds, int clients, IReadOnlyList<string> approaches, BenchEnvironment environment)
    {
        var skus = scenario == "hot-sku"
            ? new[] { "hot-sku-1" }
            : Enumerable.Range(0, 10_000).Select(i => $"sku-{i:D5}").ToArray();
        var results = new List<ApproachResult>();
        foreach (var name in approaches.Count == 0 ? Approaches : approaches)
        {
            Report.Progress($"== {scenario} / {name}: {clients} clients, {seconds} s, {skus.Length:N0} SKU(s)");
            if (await RunApproachAsync(scenario, name, seconds, clients, skus, environment) is { } result)
            {
                Report.Line(result);
                results.Add(result);
            }
        }
        Report.Table(results);
        // Ratios within this run: on a shared machine they hold far better than the figures themselves.
        foreach (var subject in results.Where(r => r.Approach.StartsWith("grain", StringComparison.Ordinal)))
        {
            var against = results.Where(r => r != subject && !r.Approach.StartsWith("grain", StringComparison.Ordinal) && r.OpsPerSec > 0)
                .Select(r => $"{subject.OpsPerSec / r.OpsPerSec:0.00}× {r.Approach}").ToList();
            if (against.Count > 0)
            {
                Report.Progress($"{scenario} {subject.Approach}: {string.Join(", ", against)}");
            }
        }
        if (results.Find(r => r.Approach == "grain") is { } grouped && results.Find(r => r.Approach == "grain-unbatched") is { OpsPerSec: > 0 } alone)
        {
            Report.Progress($"{scenario} grain (commits grouped across grains) / grain-unbatched: {grouped.OpsPerSec / alone.OpsPerSec:0.00}×");
        }
        return Report.CheckFailed ? 1 : 0;
    }

    private static async Task<ApproachResult?> RunApproachAsync(string scenario, string name, int seconds, int clients, string[] skus, BenchEnvironment environment)
    {
        var postgres = environment.RequirePostgres();
        IReservationApproach approach = name switch
        {
            "grain" => new GrainApproach(postgres),
            // The same grain with each activation's commit in a round trip of its own: what commits grouped across grains bring.
            "grain-unbatched" => new GrainApproach(postgres, new Dictionary<string, string> { ["Commerce__Storage__CrossGrainCommits"] = "false" }, name),
            "grain-lean" => new LeanGrainApproach(postgres),
            "pg-for-update" => new PgForUpdateApproach(postgres),
            "pg-conditional-update" => new PgConditionalUpdateApproach(postgres),
            "redis-lua-always" => new RedisLuaApproach(name, durable: true, environment.RequireRedis("always")),
            "redis-lua-everysec" => new RedisLuaApproach(name, durable: false, environment.RequireRedis("everysec")),
            "redis-lua-no-persistence" => new RedisLuaApproach(name, durable: false, environment.RequireRedis("none")),
            _ => throw new ArgumentException($"Unknown approach '{name}' (known: {string.Join(", ", Approaches)})."),
        };
        await BenchDatabase.ResetAsync(postgres);
        await using (approach)
        {
            var setup = Stopwatch.StartNew();
            await approach.PrepareAsync(skus, StockPerSku);
            Report.Progress($"  prepared in {setup.Elapsed.TotalSeconds:0.0} s");

            long sequence = 0;
            Task<bool> Reserve(int client, Random random)
            {
                var sku = skus.Length == 1 ? skus[0] : skus[random.Next(skus.Length)];
                return approach.ReserveAsync(sku, $"r-{client}-{Interlocked.Increment(ref sequence)}");
            }

            // A silo process just started still compiles (tiered JIT) for several seconds under load: a
            // profile of the product silo after a 3 s warm-up showed 22% of its CPU in the JIT over the
            // next 10 s, 3% over the 10 s after.
            var warmUp = await LoadRun.RunAsync(clients, TimeSpan.FromSeconds(Math.Min(WarmUpSeconds, seconds)), Reserve);
            Report.Progress($"  warm-up: {warmUp.OpsPerSecond:N0}/s");
            var grain = approach as IGrainApproach;
            var versionsBefore = grain is null ? 0 : await grain.StoredVersionsAsync();
            var cpuBefore = grain is null ? null : ProcessCpu.Read(grain.SiloProcessId);
            var measured = await LoadRun.RunAsync(clients, TimeSpan.FromSeconds(seconds), Reserve);
            var cpuAfter = grain is null ? null : ProcessCpu.Read(grain.SiloProcessId);
            Report.Progress($"  measured: {measured.OpsPerSecond:N0}/s, p50 {measured.P50Ms} ms, p99 {measured.P99Ms} ms, {measured.Failed:N0} failed{(measured.FirstError is null ? "" : " (first: " + measured.FirstError + ")")}");
            double? perCommit = null, siloCpu = null;
            if (grain is not null)
            {
                // Reservations answered during the measured run, over the commits made in it: stored
                // versions grow by one per commit. On one SKU, its commits follow each other, so the
                // measured time over them is the commit cycle (commit plus whatever the grain does between two).
                var commits = await grain.StoredVersionsAsync() - versionsBefore;
                perCommit = commits == 0 ? null : Math.Round(measured.Succeeded / (double)commits, 2);
                siloCpu = ProcessCpu.PercentOfOneCore(cpuBefore, cpuAfter, measured.Elapsed) is { } cpu ? Math.Round(cpu, 1) : null;
                Report.Progress($"  silo during the measured run: {commits:N0} commits ({commits / measured.Elapsed.TotalSeconds:N0}/s), {perCommit:0.0} reservations per commit" +
                    (skus.Length == 1 && commits > 0 ? $", commit cycle {measured.Elapsed.TotalMilliseconds / commits:0.000} ms" : "") +
                    $", silo process CPU {siloCpu:0}% of one core");
            }

            // Correctness: the store's own records against what was acknowledged.
            var audit = await approach.AuditAsync(skus, StockPerSku);
            var acknowledged = warmUp.Succeeded + measured.Succeeded;
            var failed = warmUp.Failed + measured.Failed;
            Report.Progress($"  audit: store records {audit.Reserved:N0} reserved units, {acknowledged:N0} acknowledged, {failed:N0} calls failed, oversold {audit.Oversold}");
            if (audit.Problem is not null)
            {
                Report.Fail($"{scenario}/{name}: {audit.Problem}");
            }
            if (audit.Reserved < acknowledged)
            {
                Report.Fail($"{scenario}/{name}: {acknowledged - audit.Reserved:N0} acknowledged reservations are missing from the store");
            }
            if (audit.Reserved > acknowledged + failed)
            {
                Report.Fail($"{scenario}/{name}: the store holds {audit.Reserved - acknowledged:N0} reservations nobody asked for");
            }
            if (audit.Oversold > 0 && approach.Durable)
            {
                Report.Fail($"{scenario}/{name}: oversold {audit.Oversold}");
            }
            return new ApproachResult(scenario, name, approach.Durable, clients, seconds,
                Math.Round(measured.OpsPerSecond), measured.P50Ms, measured.P99Ms, measured.Attempted, measured.Succeeded, audit.Oversold)
            {
                ReservationsPerCommit = perCommit,
                SiloCpuPercent = siloCpu,
            };
        }
    }
}
