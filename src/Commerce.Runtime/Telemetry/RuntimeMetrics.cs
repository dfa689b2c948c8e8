using System.Diagnostics;
using System.Diagnostics.Metrics;
using Commerce.Runtime.Activations;
using Commerce.Runtime.Invocation;

namespace Commerce.Runtime.Telemetry;

/// <summary>
/// The runtime's meter (<c>Commerce.Runtime</c>) and span source. Counters live in plain fields
/// updated with interlocked increments and are published through observable instruments, so an
/// unobserved silo pays almost nothing per call and an observed one pays no tag allocations.
/// Instrument names are stable: dashboards and alerts depend on them.
/// </summary>
public sealed class RuntimeMetrics : IDisposable
{
    public const string MeterName = "Commerce.Runtime";
    public static readonly ActivitySource Spans = new("Commerce.Runtime");

    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _callDuration;
    private readonly Histogram<double> _storageReadDuration;
    private readonly Histogram<double> _storageWriteDuration;
    private readonly Histogram<double> _reminderTardiness;
    private readonly Func<IEnumerable<GrainClassInfo>> _classes;

    internal LatencyHistogram StorageReads { get; } = new();
    internal LatencyHistogram StorageWrites { get; } = new();
    internal LatencyHistogram ReminderTardiness { get; } = new();
    internal RecentCallFailures RecentFailures { get; } = new();
    internal long StorageWriteFailures;
    internal long StorageConflicts;
    internal long ActivationFailures;
    internal long ReminderTicks;
    internal long ReminderFailures;

    internal RuntimeMetrics(GrainRegistry registry)
    {
        _classes = () => registry.Classes;
        _meter.CreateObservableGauge("commerce.runtime.activations", ObserveActivations, "{activation}", "Live activations per grain type");
        _meter.CreateObservableCounter("commerce.runtime.grain.calls", () => ObserveMethods(s => s.Calls), "{call}", "Grain calls completed per grain type and method");
        _meter.CreateObservableCounter("commerce.runtime.grain.call.failures", () => ObserveMethods(s => s.Failures), "{call}", "Grain calls that failed");
        _meter.CreateObservableCounter("commerce.runtime.grain.call.timeouts", () => ObserveMethods(s => s.Timeouts), "{call}", "Grain calls that timed out");
        _callDuration = _meter.CreateHistogram<double>("commerce.runtime.grain.call.duration", "ms", "Grain call latency, from send to turn end");
        _storageReadDuration = _meter.CreateHistogram<double>("commerce.runtime.storage.read.duration", "ms", "Grain state read latency");
        _storageWriteDuration = _meter.CreateHistogram<double>("commerce.runtime.storage.write.duration", "ms", "Grain state write (commit) latency");
        _meter.CreateObservableCounter("commerce.runtime.storage.write.failures", () => Volatile.Read(ref StorageWriteFailures), "{write}", "State writes that failed");
        _meter.CreateObservableCounter("commerce.runtime.storage.conflicts", () => Volatile.Read(ref StorageConflicts), "{write}", "State writes refused for a stale ETag or epoch");
        _meter.CreateObservableCounter("commerce.runtime.reminders.ticks", () => Volatile.Read(ref ReminderTicks), "{tick}", "Reminder ticks delivered");
        _reminderTardiness = _meter.CreateHistogram<double>("commerce.runtime.reminders.tardiness", "ms", "How late reminder ticks were delivered");
    }

    private IEnumerable<Measurement<int>> ObserveActivations() =>
        _classes().Select(c => new Measurement<int>(Volatile.Read(ref c.ActivationCount), new KeyValuePair<string, object?>("grain_type", c.GrainType)));

    private static IEnumerable<Measurement<long>> ObserveMethods(Func<MethodStatistics, long> value) =>
        MethodStatistics.Snapshot().Select(s => new Measurement<long>(
            value(s),
            new KeyValuePair<string, object?>("grain_type", s.GrainType ?? s.Method.InterfaceType.Name),
            new KeyValuePair<string, object?>("method", s.Method.FullName)));

    internal void ActivationFailed(GrainClassInfo info) => Interlocked.Increment(ref ActivationFailures);

    internal void CallCompleted(GrainClassInfo info, Request request)
    {
        var statistics = MethodStatistics.For(request.Method);
        statistics.GrainType ??= info.GrainType;
        if (request.Failure is { } failure)
        {
            Interlocked.Increment(ref statistics.Failures);
            if (failure is not GrainCallTimeoutException)
            {
                // A timeout was listed when it happened (CallTimedOut); the turn may end much later.
                RecentFailures.Record(info.GrainType, request.Method.Name, failure);
            }
        }
        var elapsed = Stopwatch.GetElapsedTime(request.SentTimestamp);
        statistics.Latency.Record(elapsed);
        if (_callDuration.Enabled)
        {
            _callDuration.Record(elapsed.TotalMilliseconds,
                new KeyValuePair<string, object?>("grain_type", info.GrainType),
                new KeyValuePair<string, object?>("method", request.Method.FullName));
        }
    }

    internal void CallTimedOut(GrainClassInfo info, Request request)
    {
        var statistics = MethodStatistics.For(request.Method);
        statistics.GrainType ??= info.GrainType;
        Interlocked.Increment(ref statistics.Timeouts);
        RecentFailures.Record(info.GrainType, request.Method.Name, request.Failure);
    }

    internal void StorageRead(TimeSpan elapsed)
    {
        StorageReads.Record(elapsed);
        if (_storageReadDuration.Enabled)
        {
            _storageReadDuration.Record(elapsed.TotalMilliseconds);
        }
    }

    internal void StorageWrite(TimeSpan elapsed)
    {
        StorageWrites.Record(elapsed);
        if (_storageWriteDuration.Enabled)
        {
            _storageWriteDuration.Record(elapsed.TotalMilliseconds);
        }
    }

    internal void StorageWriteFailed(bool conflict)
    {
        Interlocked.Increment(ref StorageWriteFailures);
        if (conflict)
        {
            Interlocked.Increment(ref StorageConflicts);
        }
    }

    internal void ReminderDelivered(TimeSpan tardiness)
    {
        Interlocked.Increment(ref ReminderTicks);
        ReminderTardiness.Record(tardiness < TimeSpan.Zero ? TimeSpan.Zero : tardiness);
        if (_reminderTardiness.Enabled)
        {
            _reminderTardiness.Record(tardiness.TotalMilliseconds);
        }
    }

    internal void ReminderFailed() => Interlocked.Increment(ref ReminderFailures);

    public void Dispose() => _meter.Dispose();
}
