using System.Numerics;

namespace Commerce.Runtime.Telemetry;

/// <summary>
/// A lock-free log-linear histogram of durations in microseconds: four buckets per power of two,
/// so percentiles are within about 19% of the true value at any scale. Recording is two
/// interlocked operations (the bucket and the sum); the count is the buckets' total, summed when read.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 4;
    private const int Buckets = 40 * SubBuckets;
    private readonly long[] _counts = new long[Buckets];
    private long _sumMicros;

    public void Record(TimeSpan duration)
    {
        var micros = Math.Max(1L, (long)(duration.Ticks / 10));
        Interlocked.Increment(ref _counts[IndexOf(micros)]);
        Interlocked.Add(ref _sumMicros, micros);
    }

    public long Count
    {
        get
        {
            long total = 0;
            for (var i = 0; i < Buckets; i++)
            {
                total += Volatile.Read(ref _counts[i]);
            }
            return total;
        }
    }

    /// <summary>The non-empty buckets, their count, mean and p99, from one pass over the counters.</summary>
    public LatencySnapshot Snapshot()
    {
        var buckets = new List<LatencyBucket>();
        for (var i = 0; i < Buckets; i++)
        {
            if (Volatile.Read(ref _counts[i]) is var count and > 0)
            {
                buckets.Add(new LatencyBucket(UpperBoundMicros(i) / 1000.0, count));
            }
        }
        return LatencySnapshot.Of(buckets, Volatile.Read(ref _sumMicros) / 1000.0);
    }

    private static int IndexOf(long micros)
    {
        var exponent = BitOperations.Log2((ulong)micros);
        if (exponent < 2)
        {
            return (int)micros;
        }
        var sub = (int)(micros >> (exponent - 2)) & (SubBuckets - 1);
        return Math.Min(Buckets - 1, exponent * SubBuckets + sub);
    }

    private static double UpperBoundMicros(int index)
    {
        if (index < SubBuckets * 2)
        {
            return index + 1;
        }
        var exponent = index / SubBuckets;
        var sub = index % SubBuckets;
        return (double)(SubBuckets + sub + 1) * (1L << (exponent - 2));
    }
}
