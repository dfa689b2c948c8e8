namespace Commerce.Runtime.Telemetry;

/// <summary>Observations up to <see cref="UpToMs"/> milliseconds (and above the previous bucket's bound).</summary>
public sealed record LatencyBucket(double UpToMs, long Count);

/// <summary>
/// A latency distribution: how many observations, their mean and p99 in milliseconds, and the
/// non-empty histogram buckets (ascending) those come from. A silo's snapshots are cumulative since
/// it started; <see cref="Since"/> turns two of them into the distribution of what happened in
/// between, and <see cref="Combine"/> adds several (silos, methods) into one, so a cluster-wide p99
/// is computed from the merged buckets rather than guessed from each silo's.
/// </summary>
public sealed record LatencySnapshot(long Count, double MeanMs, double P99Ms, IReadOnlyList<LatencyBucket> Buckets)
{
    public static LatencySnapshot Empty { get; } = new(0, 0, 0, []);

    public static LatencySnapshot Of(IReadOnlyList<LatencyBucket> buckets, double sumMs)
    {
        var count = buckets.Sum(b => b.Count);
        return count == 0 ? Empty : new LatencySnapshot(count, sumMs / count, Percentile(buckets, 0.99), buckets);
    }

    /// <summary>What was observed after <paramref name="earlier"/> (a snapshot of the same histogram); all of it when there is none.</summary>
    public LatencySnapshot Since(LatencySnapshot? earlier)
    {
        if (earlier is null || earlier.Count == 0)
        {
            return this;
        }
        var before = earlier.Buckets.ToDictionary(b => b.UpToMs, b => b.Count);
        var buckets = Buckets
            .Select(b => new LatencyBucket(b.UpToMs, b.Count - before.GetValueOrDefault(b.UpToMs)))
            .Where(b => b.Count > 0)
            .ToList();
        return Of(buckets, Math.Max(0, MeanMs * Count - earlier.MeanMs * earlier.Count));
    }

    public static LatencySnapshot Combine(IEnumerable<LatencySnapshot> parts)
    {
        var nonEmpty = parts.Where(p => p.Count > 0).ToList();
        if (nonEmpty.Count == 1)
        {
            return nonEmpty[0];
        }
        var buckets = nonEmpty.SelectMany(p => p.Buckets)
            .GroupBy(b => b.UpToMs)
            .Select(g => new LatencyBucket(g.Key, g.Sum(b => b.Count)))
            .OrderBy(b => b.UpToMs)
            .ToList();
        return Of(buckets, nonEmpty.Sum(p => p.MeanMs * p.Count));
    }

    /// <summary>The upper bound of the bucket holding the <paramref name="quantile"/> (0..1) observation; 0 when empty.</summary>
    public static double Percentile(IReadOnlyList<LatencyBucket> ascending, double quantile)
    {
        var total = ascending.Sum(b => b.Count);
        if (total == 0)
        {
            return 0;
        }
        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        foreach (var bucket in ascending)
        {
            seen += bucket.Count;
            if (seen >= rank)
            {
                return bucket.UpToMs;
            }
        }
        return ascending[^1].UpToMs;
    }
}
