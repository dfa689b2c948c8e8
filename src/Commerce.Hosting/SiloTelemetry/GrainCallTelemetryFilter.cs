using System.Diagnostics;
using Orleans;

namespace Commerce.Hosting.SiloTelemetry;

/// <summary>
/// Counts every call a grain on this silo serves, with its latency and whether it threw, into
/// <see cref="GrainCallStatistics"/>. It sits on the hot path (a hot SKU serves tens of thousands of
/// calls a second), so per call it does one dictionary lookup on two types, two timestamps and two
/// interlocked additions, allocates nothing when the call completes synchronously, and builds a
/// string only when a call fails. Latency is the time the grain spent on the call: from the start of
/// its turn to the end of the method (awaits included; waiting in the activation's queue and the
/// network are not).
/// </summary>
internal sealed class GrainCallTelemetryFilter(GrainCallStatistics statistics) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (statistics.CountersFor(context) is not { } counters)
        {
            return context.Invoke();
        }
        var started = Stopwatch.GetTimestamp();
        var call = context.Invoke();
        if (call.IsCompletedSuccessfully)
        {
            counters.Succeeded(Stopwatch.GetElapsedTime(started));
            return call;
        }
        return Completion(call, counters, started);
    }

    private static async Task Completion(Task call, GrainCallStatistics.MethodCounters counters, long started)
    {
        try
        {
            await call;
        }
        catch (Exception failure)
        {
            counters.Failed(Stopwatch.GetElapsedTime(started), failure);
            throw;
        }
        counters.Succeeded(Stopwatch.GetElapsedTime(started));
    }
}
