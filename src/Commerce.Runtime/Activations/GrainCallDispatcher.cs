using System.Diagnostics;
using Commerce.Runtime.Invocation;
using Commerce.Runtime.Serialization;
using Commerce.Runtime.Telemetry;

namespace Commerce.Runtime.Activations;

/// <summary>
/// The silo's message path: a generated proxy hands its request here; the dispatcher stamps the
/// deadline and call chain, refuses call cycles that would deadlock, and delivers the request to the
/// target's activation mailbox. This is the one place a remote hop slots in: a request whose grain
/// lives elsewhere leaves through a transport instead of a local mailbox.
/// </summary>
internal sealed class GrainCallDispatcher(SiloRuntime runtime) : IGrainCallSink
{
    private readonly long _timeoutMilliseconds = (long)runtime.Options.CallTimeout.TotalMilliseconds;

    public void Send(GrainReference target, Request request)
    {
        var method = MethodStatistics.For(request.Method);
        if (method.SerializationProblem is { } problem)
        {
            throw problem;
        }
        request.Target = target.GrainId;
        request.SentTimestamp = Stopwatch.GetTimestamp();
        request.DeadlineTicks = Environment.TickCount64 + _timeoutMilliseconds;
        if (RuntimeMetrics.Spans.HasListeners() && Activity.Current is { } parent)
        {
            request.ParentSpan = parent.Context;
        }
        if (SynchronizationContext.Current is Turn caller)
        {
            request.Caller = caller;
            ThrowIfCycle(request, caller);
        }
        if (target.CachedTarget is Activation cached && cached.TryEnqueue(request))
        {
            return;
        }
        var activation = Route(request);
        if (activation is not null && !activation.Info.IsStatelessWorker)
        {
            target.CachedTarget = activation;
        }
    }

    /// <summary>Delivers to the grain's current activation, creating it if needed; returns where it went.</summary>
    public Activation? Route(Request request)
    {
        var grainId = request.Target;
        if (grainId.Type == GrainClassInfo.Observer.GrainType)
        {
            var observer = runtime.Catalog.Find(grainId);
            if (observer is null || !observer.TryEnqueue(request))
            {
                request.TryFail(new InvalidOperationException($"Observer {grainId} no longer exists (its reference was deleted)."));
                return null;
            }
            return observer;
        }
        GrainClassInfo info;
        try
        {
            info = runtime.Registry.GetClass(grainId.Type);
        }
        catch (Exception e)
        {
            request.TryFail(e);
            return null;
        }
        while (true)
        {
            var activation = runtime.Catalog.GetOrCreate(grainId, info);
            if (activation.TryEnqueue(request))
            {
                return activation;
            }
        }
    }

    /// <summary>
    /// A call to a grain already waiting further up this call chain can never be served by a
    /// non-reentrant activation: fail now, naming the cycle, instead of at the timeout.
    /// </summary>
    private static void ThrowIfCycle(Request request, Turn caller)
    {
        var flags = request.Method.Flags;
        if ((flags & InvokeFlags.AlwaysInterleave) != 0)
        {
            return;
        }
        for (Turn? turn = caller; turn is not null; turn = (turn as Request)?.Caller)
        {
            if (turn is Request { IsCompleted: true })
            {
                return;
            }
            if (turn.Host is not Activation waiting || waiting.GrainId != request.Target)
            {
                continue;
            }
            var bothReadOnly = (flags & InvokeFlags.ReadOnly) != 0 && (turn.Flags & InvokeFlags.ReadOnly) != 0;
            if (waiting.Info.Reentrant || bothReadOnly)
            {
                return;
            }
            var cycle = new List<GrainId> { request.Target };
            for (Turn? t = caller; t is not null; t = (t as Request)?.Caller)
            {
                if (t.Host is Activation a)
                {
                    cycle.Add(a.GrainId);
                    if (a.GrainId == request.Target)
                    {
                        break;
                    }
                }
            }
            cycle.Reverse();
            throw new DeadlockException(
                $"Call cycle {string.Join(" → ", cycle)} calling {request.Method.FullName}: {request.Target} is not reentrant and is already waiting in this call chain, so the call could never run.",
                cycle);
        }
    }
}
