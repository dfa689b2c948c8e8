using System.Diagnostics;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.Invocation;
using Commerce.Runtime.Messaging;
using Commerce.Runtime.Storage;
using Commerce.Runtime.Telemetry;

namespace Commerce.Runtime.Activations;

/// <summary>
/// The message path: a generated proxy hands its request here; the dispatcher stamps the deadline
/// and call chain, refuses call cycles that would deadlock, and delivers the request — to a local
/// activation's mailbox when this silo owns the grain's partition, otherwise over the network to
/// the owner. A silo never runs a call for a partition it does not hold: a call that arrives for
/// one is answered "not owner" and the caller routes it again.
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
        if (target.CachedTarget is Activation cached && IsCurrent(cached) && cached.TryEnqueue(request))
        {
            return;
        }
        var activation = Route(request);
        if (activation is not null && !activation.Info.IsStatelessWorker)
        {
            target.CachedTarget = activation;
        }
    }

    /// <summary>False for an activation whose partition lease lapsed or moved: calls must not run there.</summary>
    private bool IsCurrent(Activation activation) =>
        activation.Fence is not { } fence || runtime.Ownership is not { } ownership || ownership.IsCurrent(activation.Partition, fence.Epoch);

    /// <summary>Delivers the request where its grain lives; returns the local activation when it went to one.</summary>
    public Activation? Route(Request request)
    {
        var grainId = request.Target;
        if (grainId.Type == GrainClassInfo.Observer.GrainType)
        {
            return RouteToObserver(request);
        }
        var info = runtime.Registry.FindClass(grainId.Type);
        if (runtime.Ownership is null && runtime.Messenger is null || info is { IsStatelessWorker: true } && runtime.Ownership is not null)
        {
            // Not clustered, or a stateless worker (served by any silo): activate here.
            return info is null ? Fail(request, grainId) : DeliverLocally(request, info, fence: null, partition: -1);
        }
        var partition = PartitionMap.PartitionOf(grainId);
        if (info is not null && runtime.Ownership is { } ownership && ownership.TryGetFence(partition, out var owned))
        {
            return DeliverLocally(request, info, owned, partition);
        }
        runtime.Messenger!.Send(request, partition);
        return null;
    }

    /// <summary>Delivers here if this silo holds the partition now (used when the routing table points at this silo).</summary>
    public bool TryDeliverLocally(Request request, int partition)
    {
        if (runtime.Registry.FindClass(request.Target.Type) is not { } info || runtime.Ownership is not { } ownership ||
            !ownership.TryGetFence(partition, out var fence))
        {
            return false;
        }
        DeliverLocally(request, info, fence, partition);
        return true;
    }

    private Activation DeliverLocally(Request request, GrainClassInfo info, StorageFence? fence, int partition)
    {
        while (true)
        {
            var activation = runtime.Catalog.GetOrCreate(request.Target, info, fence, partition);
            if (activation.TryEnqueue(request))
            {
                return activation;
            }
        }
    }

    private Activation? Fail(Request request, GrainId grainId)
    {
        request.TryFail(new GrainTypeNotRegisteredException($"No grain class with grain type '{grainId.Type}' is registered in this silo."));
        return null;
    }

    /// <summary>Observers live where they were created; their key names that process.</summary>
    private Activation? RouteToObserver(Request request)
    {
        var endpoint = ObserverKeys.Endpoint(request.Target.Key);
        if (endpoint is null || endpoint == runtime.LocalEndpoint)
        {
            var observer = runtime.Catalog.Find(request.Target);
            if (observer is null || !observer.TryEnqueue(request))
            {
                request.TryFail(new InvalidOperationException($"Observer {request.Target} no longer exists (its reference was deleted)."));
                return null;
            }
            return observer;
        }
        if (runtime.Messenger is null)
        {
            request.TryFail(new SiloUnavailableException($"Observer {request.Target} lives in {endpoint}, and this process is not clustered."));
            return null;
        }
        runtime.Messenger.SendToEndpoint(request, endpoint);
        return null;
    }

    /// <summary>A call from another process: run it if this silo owns the grain, else answer "not owner" without running it.</summary>
    public void ReceiveRemote(PeerConnection connection, long callId, Request request)
    {
        var grainId = request.Target;
        if (grainId.Type != GrainClassInfo.Observer.GrainType)
        {
            var info = runtime.Registry.FindClass(grainId.Type);
            var partition = PartitionMap.PartitionOf(grainId);
            if (info is null || runtime.Ownership is not { } ownership || !info.IsStatelessWorker && !ownership.TryGetFence(partition, out _))
            {
                connection.Respond(callId, ResponseStatus.NotOwner, null, null, null);
                return;
            }
        }
        Route(request);
        _ = AnswerWhenDone(connection, callId, request);
    }

    private static async Task AnswerWhenDone(PeerConnection connection, long callId, Request request)
    {
        try
        {
            var result = await request.AsBoxedTask();
            connection.Respond(callId, ResponseStatus.Ok, result, request.Method.ResultType, null);
        }
        catch (Exception e)
        {
            connection.Respond(callId, ResponseStatus.Failed, null, null, e);
        }
    }

    /// <summary>
    /// A call to a grain already waiting further up this call chain can never be served by a
    /// non-reentrant activation: fail now, naming the cycle, instead of at the timeout. The chain
    /// spans processes: a call that arrived from elsewhere carries the grains waiting upstream.
    /// </summary>
    private static void ThrowIfCycle(Request request, Turn caller)
    {
        var flags = request.Method.Flags;
        if ((flags & InvokeFlags.AlwaysInterleave) != 0)
        {
            return;
        }
        var chain = new List<GrainId>();
        for (Turn? turn = caller; turn is not null; turn = (turn as Request)?.Caller)
        {
            if (turn is Request { IsCompleted: true })
            {
                return;
            }
            if (turn.Host is Activation waiting)
            {
                chain.Add(waiting.GrainId);
                if (waiting.GrainId == request.Target)
                {
                    var bothReadOnly = (flags & InvokeFlags.ReadOnly) != 0 && (turn.Flags & InvokeFlags.ReadOnly) != 0;
                    if (waiting.Info.Reentrant || bothReadOnly)
                    {
                        return;
                    }
                    Throw(request, chain);
                }
            }
            if (turn is Request { RemoteChain: { } upstream })
            {
                foreach (var (grain, reentrant) in upstream)
                {
                    chain.Add(grain);
                    if (grain == request.Target)
                    {
                        if (reentrant)
                        {
                            return;
                        }
                        Throw(request, chain);
                    }
                }
                return;
            }
        }
    }

    private static void Throw(Request request, List<GrainId> chainUpToTarget)
    {
        var cycle = new List<GrainId>(chainUpToTarget);
        cycle.Reverse();
        cycle.Add(request.Target);
        throw new DeadlockException(
            $"Call cycle {string.Join(" → ", cycle)} calling {request.Method.FullName}: {request.Target} is not reentrant and is already waiting in this call chain, so the call could never run.",
            cycle);
    }
}

/// <summary>Observer keys name the process that hosts the observer: "endpoint/guid".</summary>
internal static class ObserverKeys
{
    public static string Create(string? endpoint) => endpoint is null ? Guid.NewGuid().ToString("N") : $"{endpoint}/{Guid.NewGuid():N}";

    public static string? Endpoint(string key)
    {
        var slash = key.LastIndexOf('/');
        return slash < 0 ? null : key[..slash];
    }
}
