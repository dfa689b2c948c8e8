using Commerce.Persistence;

namespace Commerce.Bench.Harness;

/// <summary>
/// What a silo's grain storage did between two readings of its <see cref="StorageMetrics"/>: successful
/// commits, the callers they answered (group commit: callers per commit), failed writes, and the commit
/// latency (mean, and p99 as its histogram bucket's upper bound: at most 25% above the true value).
/// </summary>
public sealed record StorageWindow(long Commits, long Callers, long Failures, double MeanCommitMs, double P99CommitMs)
{
    public double CallersPerCommit => Commits == 0 ? 0 : (double)Callers / Commits;

    public static StorageWindow Between(StorageTotals before, StorageTotals after)
    {
        var buckets = new long[LatencyHistogram.BucketCount];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = after.Writes.Buckets[i] - before.Writes.Buckets[i];
        }
        var commits = buckets.Sum();
        var sum = after.Writes.SumMilliseconds - before.Writes.SumMilliseconds;
        return new StorageWindow(commits, after.CallersAnswered - before.CallersAnswered, after.WriteFailures - before.WriteFailures,
            commits == 0 ? 0 : Math.Round(sum / commits, 3), Math.Round(Quantile(buckets, commits, 0.99), 3));
    }

    private static double Quantile(long[] buckets, long count, double quantile)
    {
        if (count == 0)
        {
            return 0;
        }
        var rank = (long)Math.Ceiling(quantile * count);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= rank)
            {
                return LatencyHistogram.UpperBoundMilliseconds(i);
            }
        }
        return LatencyHistogram.UpperBoundMilliseconds(buckets.Length - 1);
    }

    public override string ToString() =>
        $"{Commits:N0} commits answering {Callers:N0} callers ({CallersPerCommit:0.0} per commit), commit mean {MeanCommitMs:0.000} ms, p99 ≤ {P99CommitMs:0.000} ms, {Failures} failed";
}
