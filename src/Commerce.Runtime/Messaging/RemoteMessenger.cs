using Commerce.Runtime.Activations;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.Invocation;

namespace Commerce.Runtime.Messaging;

/// <summary>
/// Sends calls whose grain lives in another process. The owner comes from the routing table; when
/// there is none yet (a partition between owners) or the callee answers that it is not the owner,
/// the call waits for the routing table to change and goes again, until its deadline. A call is
/// only ever re-sent when the callee did not run it.
/// </summary>
internal sealed class RemoteMessenger(SiloRuntime runtime, RoutingTable routing, ConnectionRegistry connections)
{
    public RoutingTable Routing => routing;

    public void Send(Request request, int partition)
    {
        var route = routing.Find(partition);
        if (route is not null && route.Owner != runtime.LocalEndpoint && connections.Find(route.Owner) is { } connection &&
            connection.SendCall(request, CallChain.Of(request)))
        {
            return;
        }
        _ = SendWhenRoutedAsync(request, partition);
    }

    /// <summary>The callee said it does not own the grain: refresh the routes and go again.</summary>
    public void Resend(Request request) => _ = SendWhenRoutedAsync(request, PartitionMap.PartitionOf(request.Target), refreshFirst: true);

    /// <summary>Calls an observer, which lives in the process named in its key.</summary>
    public void SendToEndpoint(Request request, string endpoint)
    {
        if (connections.Find(endpoint) is { } connection && connection.SendCall(request, CallChain.Of(request)))
        {
            return;
        }
        _ = DialEndpointAsync(request, endpoint);
    }

    private async Task DialEndpointAsync(Request request, string endpoint)
    {
        try
        {
            // Only silos can be dialed: their id is address:port@generation. A client's observer is
            // reachable only over the connection the client opened.
            var address = endpoint[..endpoint.LastIndexOf(':')];
            var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..endpoint.IndexOf('@')], System.Globalization.CultureInfo.InvariantCulture);
            var connection = await connections.GetAsync(endpoint, address, port);
            if (!connection.SendCall(request, CallChain.Of(request)))
            {
                throw new SiloUnavailableException($"Connection to {endpoint} closed.");
            }
        }
        catch (Exception e)
        {
            request.TryFail(e as SiloUnavailableException ?? new SiloUnavailableException($"Observer host {endpoint} cannot be reached: {e.Message}", e));
        }
    }

    private async Task SendWhenRoutedAsync(Request request, int partition, bool refreshFirst = false)
    {
        var backoff = TimeSpan.FromMilliseconds(5);
        Exception? lastError = null;
        while (!request.IsCompleted)
        {
            var remaining = TimeSpan.FromMilliseconds(request.DeadlineTicks - Environment.TickCount64);
            if (remaining <= TimeSpan.Zero)
            {
                request.TryFail(new GrainCallTimeoutException(
                    $"Call to {request.Target}.{request.Method.Name} ({request.Method.FullName}) found no silo owning partition {partition} before its deadline" +
                    (lastError is null ? "." : $"; last error: {lastError.Message}")));
                return;
            }
            if (refreshFirst)
            {
                await WaitForRoutesAsync(remaining);
            }
            refreshFirst = true;
            var route = routing.Find(partition);
            if (route is null)
            {
                continue;
            }
            if (route.Owner == runtime.LocalEndpoint)
            {
                // Routed to this silo: it serves the call if it holds the lease now; otherwise the
                // table is stale (a hand-off in progress) and we wait for it to move on.
                if (runtime.Dispatcher.TryDeliverLocally(request, partition))
                {
                    return;
                }
                await Task.Delay(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
                continue;
            }
            try
            {
                var connection = await connections.GetAsync(route.Owner, route.Address, route.Port);
                if (connection.SendCall(request, CallChain.Of(request)))
                {
                    return;
                }
            }
            catch (SiloUnavailableException e)
            {
                lastError = e;
                await Task.Delay(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
            }
        }
    }

    private async Task WaitForRoutesAsync(TimeSpan remaining)
    {
        try
        {
            await routing.RefreshAsync().WaitAsync(remaining < TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException)
        {
            // Look again anyway: the deadline check above decides when to give up.
        }
    }
}

/// <summary>The grains waiting upstream of a call, as sent along with it for cycle detection on the far side.</summary>
internal static class CallChain
{
    public static IReadOnlyList<(GrainId Grain, bool Reentrant)> Of(Request request)
    {
        List<(GrainId, bool)>? chain = null;
        for (var turn = request.Caller; turn is not null; turn = (turn as Request)?.Caller)
        {
            if (turn is Request { IsCompleted: true })
            {
                break;
            }
            if (turn.Host is Activation activation)
            {
                (chain ??= []).Add((activation.GrainId, activation.Info.Reentrant));
            }
            if (turn is Request { RemoteChain: { } upstream })
            {
                (chain ??= []).AddRange(upstream);
                break;
            }
        }
        return chain is null ? [] : chain;
    }
}
