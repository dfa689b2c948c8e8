using Commerce.Persistence;
using Orleans;

namespace Commerce.Hosting.SiloTelemetry;

// What silos report about themselves for the operator dashboard. A silo's counters are cumulative
// since it started; the dashboard turns two readings into the figures of the interval between them.

/// <summary>Observations below <paramref name="UpToMs"/> milliseconds (and at or above the previous bucket's bound).</summary>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.LatencyBucket")]
public sealed record LatencyBucket([property: Id(0)] double UpToMs, [property: Id(1)] long Count);

/// <summary>
/// A latency distribution: how many observations, their sum, and the non-empty histogram buckets
/// (ascending) they fell in. <see cref="Since"/> turns two cumulative readings of one histogram into
/// what happened in between; <see cref="Combine"/> merges several (silos, methods) into one, so a
/// cluster p99 is the p99 of all the calls rather than a guess from each silo's.
/// </summary>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.LatencyDistribution")]
public sealed record LatencyDistribution(
    [property: Id(0)] long Count,
    [property: Id(1)] double SumMs,
    [property: Id(2)] IReadOnlyList<LatencyBucket> Buckets)
{
    public static LatencyDistribution Empty { get; } = new(0, 0, []);

    public double MeanMs => Count == 0 ? 0 : SumMs / Count;

    public double P99Ms => Percentile(0.99);

    public static LatencyDistribution From(LatencyCounts counts)
    {
        var buckets = new List<LatencyBucket>();
        for (var i = 0; i < counts.Buckets.Length; i++)
        {
            if (counts.Buckets[i] > 0)
            {
                buckets.Add(new LatencyBucket(LatencyHistogram.UpperBoundMilliseconds(i), counts.Buckets[i]));
            }
        }
        return new LatencyDistribution(buckets.Sum(b => b.Count), counts.SumMilliseconds, buckets);
    }

    /// <summary>What was observed after <paramref name="earlier"/> (a reading of the same histogram); all of it when there is none.</summary>
    public LatencyDistribution Since(LatencyDistribution? earlier)
    {
        if (earlier is null || earlier.Count == 0)
        {
            return this;
        }
        var before = earlier.Buckets.ToDictionary(b => b.UpToMs, b => b.Count);
        var buckets = Buckets
            .Select(b => b with { Count = b.Count - before.GetValueOrDefault(b.UpToMs) })
            .Where(b => b.Count > 0)
            .ToList();
        return new LatencyDistribution(buckets.Sum(b => b.Count), Math.Max(0, SumMs - earlier.SumMs), buckets);
    }

    public static LatencyDistribution Combine(IEnumerable<LatencyDistribution> parts)
    {
        var nonEmpty = parts.Where(p => p.Count > 0).ToList();
        if (nonEmpty.Count <= 1)
        {
            return nonEmpty.FirstOrDefault() ?? Empty;
        }
        var buckets = nonEmpty.SelectMany(p => p.Buckets)
            .GroupBy(b => b.UpToMs)
            .Select(g => new LatencyBucket(g.Key, g.Sum(b => b.Count)))
            .OrderBy(b => b.UpToMs)
            .ToList();
        return new LatencyDistribution(nonEmpty.Sum(p => p.Count), nonEmpty.Sum(p => p.SumMs), buckets);
    }

    /// <summary>The upper bound of the bucket holding the <paramref name="quantile"/> (0..1) observation; 0 when empty.</summary>
    public double Percentile(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }
        var rank = (long)Math.Ceiling(quantile * Count);
        long seen = 0;
        foreach (var bucket in Buckets)
        {
            seen += bucket.Count;
            if (seen >= rank)
            {
                return bucket.UpToMs;
            }
        }
        return Buckets[^1].UpToMs;
    }
}

/// <summary>One grain method on one silo since the silo started: every call is in <paramref name="Latency"/> (so its count is the calls).</summary>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.MethodTelemetry")]
public sealed record MethodTelemetry(
    [property: Id(0)] string GrainType,
    [property: Id(1)] string Method,
    [property: Id(2)] long Failures,
    [property: Id(3)] LatencyDistribution Latency)
{
    public long Calls => Latency.Count;
}

/// <summary>One silo's grain state reads and commits since it started (<see cref="StorageMetrics"/>).</summary>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.StorageTelemetry")]
public sealed record StorageTelemetry(
    [property: Id(0)] LatencyDistribution Reads,
    [property: Id(1)] LatencyDistribution Writes,
    [property: Id(2)] long CallersAnswered,
    [property: Id(3)] long WriteFailures,
    [property: Id(4)] long Conflicts)
{
    public static StorageTelemetry From(StorageTotals totals) => new(
        LatencyDistribution.From(totals.Reads), LatencyDistribution.From(totals.Writes), totals.CallersAnswered, totals.WriteFailures, totals.Conflicts);
}

/// <summary>A grain call that threw, as the dashboard lists it.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.CallFailure")]
public sealed record CallFailure(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string GrainType,
    [property: Id(2)] string Method,
    [property: Id(3)] string ExceptionType,
    [property: Id(4)] string Message);

/// <summary>What one silo's telemetry service reports: its grain calls, its storage and its latest failed calls (newest first).</summary>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.SiloTelemetrySnapshot")]
public sealed record SiloTelemetrySnapshot(
    [property: Id(0)] DateTimeOffset TakenAt,
    [property: Id(1)] IReadOnlyList<MethodTelemetry> Methods,
    [property: Id(2)] StorageTelemetry Storage,
    [property: Id(3)] IReadOnlyList<CallFailure> RecentFailures);

/// <summary>A silo as the membership table describes it.</summary>
/// <param name="SiloId">Orleans' silo address with its generation (<c>127.0.0.1:11111@...</c>): a restarted silo is a new one.</param>
/// <param name="Address">Where other silos reach it (host:port).</param>
/// <param name="Status">Orleans' <c>SiloStatus</c>: Joining, Active, ShuttingDown, Stopping, Dead.</param>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.SiloMember")]
public sealed record SiloMember(
    [property: Id(0)] string SiloId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Address,
    [property: Id(3)] string Status,
    [property: Id(4)] DateTimeOffset StartedAt,
    [property: Id(5)] DateTimeOffset LastHeartbeat);

/// <summary>Orleans' runtime statistics of one silo (<c>IManagementGrain.GetRuntimeStatistics</c>).</summary>
/// <param name="Activations">Every grain activation on the silo, Orleans' own included.</param>
/// <param name="CpuPercent">The process's CPU over the last second, as a share of all the machine's cores (the runtime's cpu-usage counter).</param>
/// <param name="MemoryBytes">Managed memory in use (GC committed minus fragmentation).</param>
/// <param name="Clients">Cluster clients connected to this silo's gateway.</param>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.SiloRuntime")]
public sealed record SiloRuntime(
    [property: Id(0)] int Activations,
    [property: Id(1)] double CpuPercent,
    [property: Id(2)] long MemoryBytes,
    [property: Id(3)] long Clients,
    [property: Id(4)] bool Overloaded);

[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.GrainTypeActivations")]
public sealed record GrainTypeActivations([property: Id(0)] string GrainType, [property: Id(1)] int Activations);

/// <summary>
/// One silo of the membership table at one reading. For an active silo that answered: its runtime
/// statistics, activations per grain type (the application's; Orleans' own grains are left out)
/// and its telemetry. Otherwise those are absent and <paramref name="Problem"/> says why, unless
/// the silo is simply not active (its status says so).
/// </summary>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.SiloReading")]
public sealed record SiloReading(
    [property: Id(0)] SiloMember Member,
    [property: Id(1)] SiloRuntime? Runtime,
    [property: Id(2)] IReadOnlyList<GrainTypeActivations> Activations,
    [property: Id(3)] SiloTelemetrySnapshot? Telemetry,
    [property: Id(4)] string? Problem);

/// <summary>Every silo of the membership table, read in parallel at <paramref name="TakenAt"/>.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.SiloTelemetry.ClusterTelemetry")]
public sealed record ClusterTelemetry([property: Id(0)] DateTimeOffset TakenAt, [property: Id(1)] IReadOnlyList<SiloReading> Silos);
