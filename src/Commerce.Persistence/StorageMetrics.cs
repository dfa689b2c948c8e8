using System.Diagnostics.Metrics;

namespace Commerce.Persistence;

/// <summary>
/// Meter <c>Commerce.Storage</c>: grain state reads and commits in PostgreSQL, for both the hot grains'
/// group commit and the cold grains' Orleans storage. <c>commerce.storage.commit.callers</c> shows how
/// many callers each commit answered (group commit at work).
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

    public StorageMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _readDuration = _meter.CreateHistogram<double>("commerce.storage.read.duration", "ms", "Grain state read latency");
        _writeDuration = _meter.CreateHistogram<double>("commerce.storage.write.duration", "ms", "Grain state commit latency (state and journal in one statement)");
        _commitCallers = _meter.CreateHistogram<int>("commerce.storage.commit.callers", "{caller}", "Callers answered by one commit");
        _writeFailures = _meter.CreateCounter<long>("commerce.storage.write.failures", "{write}", "Commits that failed (their callers failed with them)");
        _conflicts = _meter.CreateCounter<long>("commerce.storage.conflicts", "{write}", "Commits refused because the stored version had moved on (a stale activation)");
    }

    internal void Read(TimeSpan elapsed) => _readDuration.Record(elapsed.TotalMilliseconds);

    internal void Wrote(TimeSpan elapsed) => _writeDuration.Record(elapsed.TotalMilliseconds);

    internal void Committed(int callers) => _commitCallers.Record(callers);

    internal void WriteFailed(bool conflict)
    {
        _writeFailures.Add(1);
        if (conflict)
        {
            _conflicts.Add(1);
        }
    }

    public void Dispose() => _meter.Dispose();
}
