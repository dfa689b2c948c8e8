using System.Diagnostics.Metrics;
using System.Numerics;

namespace Commerce.Persistence;

/// <summary>
/// Meter <c>Commerce.Storage</c>: grain state reads and commits in PostgreSQL, for both the hot grains'
/// group commit and the cold grains' Orleans storage. <c>commerce.storage.commit.callers</c> shows how
/// many callers each commit answered (group commit at work), <c>commerce.storage.batch.writes</c> how many
/// grains' commits each round trip of the <see cref="StateCommitter"/> carried (commits grouped across grains). The same figures are also kept as
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
    private readonly Histogram<int> _batchWrites;

    private readonly LatencyHistogram _reads = new();
    private readonly LatencyHistogram _writes = new();
    private long _callersAnswered;
    private long _writeFailureCount;
    private long _conflictCount;
    private long _batches;
    private long _batchedWrites;

    public StorageMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _readDuration = _meter.CreateHistogram<double>("commerce.storage.read.duration", "ms", "Grain state read latency");
        _writeDuration = _meter.CreateHistogram<double>("commerce.storage.write.duration", "ms", "Grain state commit latency (state and journal in one statement)");
        _commitCallers = _meter.CreateHistogram<int>("commerce.storage.commit.callers", "{caller}", "Callers answered by one commit");
        _writeFailures = _meter.CreateCounter<long>("commerce.storage.write.failures", "{write}", "Commits that failed (their callers failed with them)");
        _conflicts = _meter.CreateCounter<long>("commerce.storage.conflicts", "{write}", "Commits refused because the stored version had moved on (a stale activation)");
        _batchWrites = _meter.CreateHistogram<int>("commerce.storage.batch.writes", "{write}", "Grain commits carried by one round trip of the silo's committer");
    }

    /// <summary>Everything since this process started; two readings a second apart give the second's figures.</summary>
    public StorageTotals Totals() => new(
        _reads.Read(),
        _writes.Read(),
        Volatile.Read(ref _callersAnswered),
        Volatile.Read(ref _writeFailureCount),
        Volatile.Read(ref _conflictCount),
        Volatile.Read(ref _batches),
        Volatile.Read(ref _batchedWrites));

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

    /// <summary>A round trip of the <see cref="StateCommitter"/> came back, answering <paramref name="writes"/> grains' commits.</summary>
    internal void Batched(int writes)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _batchedWrites, writes);
        _batchWrites.Record(writes);
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

/// <summary>
/// Storage since the process started: every read, every successful commit (with the callers it answered), failures
/// and conflicts, and the committer's round trips with the grain commits they carried.
/// </summary>
public sealed record StorageTotals(LatencyCounts Reads, LatencyCounts Writes, long CallersAnswered, long WriteFailures, long Conflicts, long Batches, long BatchedWrites);
