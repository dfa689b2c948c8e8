using System.Diagnostics.Metrics;
using System.Numerics;

namespace Commerce.Persistence;

/// <summary>
/// A lock-free histogram of durations with fixed buckets: one per microsecond below 4 µs, then four
/// per power of two up to about 12 days, so a percentile read as its bucket's upper bound is at most
/// 25% (or 1 µs) above the true value at any scale. Recording is two interlocked additions (the bucket and the sum, kept
/// in 100 ns ticks so that sub-microsecond calls still add up) and allocates nothing; the count is
/// the buckets' total. Used for storage here and for grain calls by
/// the silo's telemetry, so both read the same way.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBuckets = 4;

    /// <summary>Buckets 0..3 hold 0..3 µs one by one; from 4 µs on, each power of two is split in four.</summary>
    public const int BucketCount = 40 * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];
    private long _sumTicks;

    public void Record(TimeSpan elapsed)
    {
        var ticks = Math.Max(0L, elapsed.Ticks);
        Interlocked.Increment(ref _counts[BucketOf(ticks / TimeSpan.TicksPerMicrosecond)]);
        Interlocked.Add(ref _sumTicks, ticks);
    }

    /// <summary>A copy of the cumulative counts; concurrent recordings may land in it or in the next reading, never half.</summary>
    public LatencyCounts Read()
    {
        var counts = new long[BucketCount];
        for (var i = 0; i < BucketCount; i++)
        {
            counts[i] = Volatile.Read(ref _counts[i]);
        }
        return new LatencyCounts(counts, (double)Volatile.Read(ref _sumTicks) / TimeSpan.TicksPerMillisecond);
    }

    /// <summary>The exclusive upper bound of <paramref name="bucket"/>, in milliseconds.</summary>
    public static double UpperBoundMilliseconds(int bucket)
    {
        if (bucket < SubBuckets)
        {
            return (bucket + 1) / 1000.0;
        }
        var exponent = bucket / SubBuckets + 1;
        var sub = bucket % SubBuckets;
        return (double)((SubBuckets + sub + 1L) << (exponent - 2)) / 1000.0;
    }

    private static int BucketOf(long micros)
    {
        if (micros < SubBuckets)
        {
            return (int)micros;
        }
        var exponent = BitOperations.Log2((ulong)micros);
        var sub = (int)(micros >> (exponent - 2)) & (SubBuckets - 1);
        return Math.Min(BucketCount - 1, (exponent - 1) * SubBuckets + sub);
    }
}

/// <summary>Cumulative counts per bucket of a <see cref="LatencyHistogram"/> (index: bucket) and the sum of every duration recorded.</summary>
public sealed record LatencyCounts(long[] Buckets, double SumMilliseconds);
