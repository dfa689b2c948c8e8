using System.Diagnostics.Metrics;
using System.Numerics;

namespace Commerce.Persistence;

/// <summary>
/// Meter <c>Commerce.Storage</c>: grain state reads and commits in PostgreSQL, for both the hot grains'
/// group commit and the cold grains' Orleans storage. <c>commerce.storage.commit.callers</c> shows how
/// many callers each commit answered (group commit at work). The same figures are also kept as
/// cumulative totals (<see cref="Totals"/>) for the operator dashboard, which reads them in process
/// without a meter listener: interlocked additions, nothing allocated per read or commit.
/// Instrument names are stable: dashboards and alerts depend on them.
/// </summary>
public sealed class StorageMetrics : IDisposable
{
    public const string MeterName = "Commerce.Storage";

    private readonly Meter _meter;
    private readonly Histogram<double> _readDuration;
    private readonly Histogram<double> _writeDuration;
    private readonly Histogram<int> _commitCallers;
    private readonly Counter<long> _writeFailures;
    private readonly Counter<long> _conflicts;

    private readonly LatencyHistogram _reads = new();
    private readonly LatencyHistogram _writes = new();
    private long _callersAnswered;
    private long _writeFailureCount;
    private long _conflictCount;

    public StorageMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _readDuration = _meter.CreateHistogram<double>("commerce.storage.read.duration", "ms", "Grain state read latency");
        _writeDuration = _meter.CreateHistogram<double>("commerce.storage.write.duration", "ms", "Grain state commit latency (state and journal in one statement)");
        _commitCallers = _meter.CreateHistogram<int>("commerce.storage.commit.callers", "{caller}", "Callers answered by one commit");
        _writeFailures = _meter.CreateCounter<long>("commerce.storage.write.failures", "{write}", "Commits that failed (their callers failed with them)");
        _conflicts = _meter.CreateCounter<long>("commerce.storage.conflicts", "{write}", "Commits refused because the stored version had moved on (a stale activation)");
    }

    /// <summary>Everything since this process started; two readings a second apart give the second's figures.</summary>
    public StorageTotals Totals() => new(
        _reads.Read(),
        _writes.Read(),
        Volatile.Read(ref _callersAnswered),
        Volatile.Read(ref _writeFailureCount),
        Volatile.Read(ref _conflictCount));

    internal void Read(TimeSpan elapsed)
    {
        _reads.Record(elapsed);
        _readDuration.Record(elapsed.TotalMilliseconds);
    }

    /// <summary>A commit succeeded; <see cref="Committed"/> follows with the callers it answered.</summary>
    internal void Wrote(TimeSpan elapsed)
    {
        _writes.Record(elapsed);
        _writeDuration.Record(elapsed.TotalMilliseconds);
    }

    internal void Committed(int callers)
    {
        Interlocked.Add(ref _callersAnswered, callers);
        _commitCallers.Record(callers);
    }

    internal void WriteFailed(bool conflict)
    {
        Interlocked.Increment(ref _writeFailureCount);
        _writeFailures.Add(1);
        if (conflict)
        {
            Interlocked.Increment(ref _conflictCount);
            _conflicts.Add(1);
        }
    }

    public void Dispose() => _meter.Dispose();
}

/// <summary>Storage since the process started: every read, every successful commit (with the callers it answered), failures and conflicts.</summary>
public sealed record StorageTotals(LatencyCounts Reads, LatencyCounts Writes, long CallersAnswered, long WriteFailures, long Conflicts);

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
