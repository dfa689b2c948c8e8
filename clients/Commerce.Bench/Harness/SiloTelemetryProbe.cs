using System.Text.Json;

namespace Commerce.Bench.Harness;

/// <summary>The parts of a silo's GET /api/v1/silo/telemetry that explain a benchmark figure (cumulative counters).</summary>
public sealed record TelemetrySample(double CpuSeconds, long StorageWrites, double WriteMeanMs, double WriteP99Ms, long StorageReads, long WorkingSetBytes)
{
    /// <param name="operators">A client of the silo signed in as operator (<see cref="OperatorClient"/>).</param>
    public static async Task<TelemetrySample?> TakeAsync(HttpClient operators)
    {
        try
        {
            using var document = JsonDocument.Parse(await operators.GetStringAsync("/api/v1/silo/telemetry"));
            var root = document.RootElement;
            var storage = root.GetProperty("storage");
            var writes = storage.GetProperty("writes");
            return new TelemetrySample(
                root.GetProperty("cpuSeconds").GetDouble(),
                writes.GetProperty("count").GetInt64(),
                writes.GetProperty("meanMs").GetDouble(),
                writes.GetProperty("p99Ms").GetDouble(),
                storage.GetProperty("reads").GetProperty("count").GetInt64(),
                root.GetProperty("workingSetBytes").GetInt64());
        }
        catch (Exception error)
        {
            Report.Progress($"  (telemetry unavailable: {error.Message})");
            return null;
        }
    }

    /// <summary>One stderr line: what the silo did between two samples, and how many acknowledgements each storage write carried.</summary>
    public static void Describe(string what, TelemetrySample? before, TelemetrySample? after, long acknowledged, TimeSpan elapsed)
    {
        if (before is null || after is null)
        {
            return;
        }
        var writes = after.StorageWrites - before.StorageWrites;
        var cpu = after.CpuSeconds - before.CpuSeconds;
        Report.Progress($"  silo during {what}: {writes:N0} storage writes ({writes / elapsed.TotalSeconds:N0}/s), " +
            $"{(writes > 0 ? acknowledged / (double)writes : 0):0.0} acknowledged per write, write latency since start mean {after.WriteMeanMs:0.00} ms p99 {after.WriteP99Ms:0.00} ms, " +
            $"silo CPU {cpu:0.0} s ({cpu / elapsed.TotalSeconds * 100:0}% of one core), working set {after.WorkingSetBytes / 1048576.0:N0} MiB");
    }
}
