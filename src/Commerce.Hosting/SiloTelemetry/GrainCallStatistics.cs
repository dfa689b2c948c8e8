using System.Collections.Concurrent;
using Commerce.Persistence;
using Orleans;
using Orleans.Runtime;

namespace Commerce.Hosting.SiloTelemetry;

/// <summary>
/// This silo's grain calls since it started, per grain type and method: calls and their latency in
/// a <see cref="LatencyHistogram"/>, failures, and a ring of the latest failed calls. Kept for the
/// operator dashboard by <see cref="GrainCallTelemetryFilter"/> and read by <see cref="SiloTelemetryService"/>.
/// Orleans' own grains (the management grain, the Orleans dashboard's) and system targets (grain
/// services, this telemetry's own included) are not counted: the dashboard shows the application,
/// and Orleans' dashboard shows those.
/// </summary>
public sealed class GrainCallStatistics
{
    /// <summary>Failed calls kept per silo for the dashboard's recent errors.</summary>
    public const int RecentFailuresKept = 64;

    /// <summary>
    /// Orleans delivers grain timer ticks through the call filters too, as calls of its internal
    /// <c>IGrainTimerInvoker.InvokeCallbackAsync</c> (every timer of a grain class alike); the dashboard
    /// lists them as the grain's <see cref="TimerTick"/> method.
    /// </summary>
    private const string TimerTickInterface = "IGrainTimerInvoker";

    public const string TimerTick = "timer tick";

    /// <summary>Exception messages are cut here: a failure's entry stays small however long the message.</summary>
    private const int MessageLength = 300;

    // Keyed by the call's generated request class (one per interface method) and the grain class:
    // two reference-type keys hash fast, and the per-call path never builds a string.
    private readonly ConcurrentDictionary<(Type Request, Type Grain), MethodCounters?> _methods = new();
    private readonly CallFailure?[] _recentFailures = new CallFailure?[RecentFailuresKept];
    private long _failuresRecorded;

    /// <summary>The counters for this call's method, or null for a call to one of Orleans' own grains or a system target.</summary>
    internal MethodCounters? CountersFor(IIncomingGrainCallContext call)
    {
        var key = (call.Request.GetType(), call.Grain.GetType());
        return _methods.TryGetValue(key, out var counters) ? counters : _methods.GetOrAdd(key, NewCounters(call));
    }

    private MethodCounters? NewCounters(IIncomingGrainCallContext call) =>
        call.Grain is SystemTarget || OrleansGrains.IsOrleansOwn(call.Grain.GetType())
            ? null
            : new MethodCounters(this, call.TargetId.Type.ToString()!, call.InterfaceName == TimerTickInterface ? TimerTick : call.MethodName);

    /// <summary>Every method called so far, one entry per grain type and method name (overloads are added up).</summary>
    public IReadOnlyList<MethodTelemetry> Methods() =>
        [.. _methods.Values.OfType<MethodCounters>()
            .Select(m => new MethodTelemetry(m.GrainType, m.Method, Volatile.Read(ref m.Failures), LatencyDistribution.From(m.Latency.Read())))
            .Where(m => m.Calls > 0)
            .GroupBy(m => (m.GrainType, m.Method))
            .Select(g => new MethodTelemetry(g.Key.GrainType, g.Key.Method, g.Sum(m => m.Failures), LatencyDistribution.Combine(g.Select(m => m.Latency))))];

    /// <summary>The latest failed calls, newest first.</summary>
    public IReadOnlyList<CallFailure> RecentFailures()
    {
        var failures = new List<CallFailure>(RecentFailuresKept);
        for (var i = 0; i < _recentFailures.Length; i++)
        {
            if (Volatile.Read(ref _recentFailures[i]) is { } failure)
            {
                failures.Add(failure);
            }
        }
        return [.. failures.OrderByDescending(f => f.At)];
    }

    /// <summary>
    /// One interlocked increment and one array store, only when a call failed. Under a failure storm
    /// concurrent writers may overwrite each other's slot, which loses only entries that were about
    /// to be pushed out anyway.
    /// </summary>
    private void RememberFailure(MethodCounters method, Exception failure)
    {
        var message = failure.Message.Length > MessageLength ? failure.Message[..MessageLength] + "…" : failure.Message;
        var entry = new CallFailure(DateTimeOffset.UtcNow, method.GrainType, method.Method, failure.GetType().Name, message);
        var slot = (Interlocked.Increment(ref _failuresRecorded) - 1) % RecentFailuresKept;
        Volatile.Write(ref _recentFailures[slot], entry);
    }

    /// <summary>One grain method of one grain class on this silo.</summary>
    internal sealed class MethodCounters(GrainCallStatistics owner, string grainType, string method)
    {
        public readonly string GrainType = grainType;
        public readonly string Method = method;
        public readonly LatencyHistogram Latency = new();
        public long Failures;

        public void Succeeded(TimeSpan elapsed) => Latency.Record(elapsed);

        public void Failed(TimeSpan elapsed, Exception failure)
        {
            Latency.Record(elapsed);
            Interlocked.Increment(ref Failures);
            owner.RememberFailure(this, failure);
        }
    }
}

/// <summary>Which grain classes are Orleans' own (its management grain, its dashboard's grains) rather than the application's.</summary>
internal static class OrleansGrains
{
    public static bool IsOrleansOwn(Type grainClass) =>
        grainClass.Assembly.GetName().Name is { } assembly && assembly.StartsWith("Orleans.", StringComparison.Ordinal);
}
