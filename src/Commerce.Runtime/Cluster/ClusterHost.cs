using Commerce.Runtime.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Cluster;

/// <summary>
/// Runs a silo's cluster parts inside the host. Start: listen, join, read the routes, take
/// partitions, then keep membership, leases and routes current. Stop (planned): announce leaving,
/// hand every partition off with its grains' state flushed, leave, close connections.
/// </summary>
internal sealed class ClusterHost(SiloRuntime runtime, ILogger<ClusterHost> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _stoppingRoutes = new();
    private readonly List<Task> _loops = [];
    private Task? _routingLoop;
    private SiloTransport? _transport;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var membership = runtime.Membership!;
        var ownership = runtime.Ownership!;
        _transport = new SiloTransport(runtime.Connections!, runtime.ClusterOptions!);
        await _transport.StartAsync(cancellationToken);
        await membership.JoinAsync(_transport.Port, cancellationToken);
        membership.DeclaredDead += ownership.DropAllAsync;
        await runtime.Routing!.RefreshNowAsync(cancellationToken);
        try
        {
            await ownership.RebalanceAsync(cancellationToken);
        }
        catch (Exception e)
        {
            // The lease loop retries; a silo that joined must not fail its start half-way (it would
            // stay in the table as active while serving nothing).
            logger.LogWarning(e, "First partition rebalance of {Silo} failed; retrying in the background", membership.SiloId);
        }
        _loops.Add(membership.RunAsync(_stopping.Token));
        _loops.Add(ownership.RunAsync(_stopping.Token));
        // Routes stay current until the very end of a stop: calls this silo still forwards need them.
        _routingLoop = runtime.Routing.RunAsync(_stoppingRoutes.Token);
        logger.LogInformation("Silo {Silo} serves {Count} partitions", membership.SiloId, ownership.OwnedPartitions.Count);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var membership = runtime.Membership!;
        try
        {
            await membership.BeginLeavingAsync(cancellationToken);
            await runtime.Ownership!.HandOffAllAsync(cancellationToken);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Hand-off of {Silo} was incomplete; its leases will expire instead", membership.SiloId);
        }
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        try
        {
            await membership.LeaveAsync(cancellationToken);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Silo} could not record that it left; its peers will declare it dead", membership.SiloId);
        }
        // Peers stop sending here, calls already here are answered (forwarded to the partitions' new
        // owners if they were queued here), then the connections close.
        await runtime.Connections!.DrainAsync(runtime.Options.DeactivationTimeout);
        await _stoppingRoutes.CancelAsync();
        if (_routingLoop is not null)
        {
            await _routingLoop;
        }
        await runtime.Connections.DisposeAsync();
        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }
    }
}

/// <summary>A cluster client's background work: keeping its routing table current.</summary>
internal sealed class ClusterClientHost(SiloRuntime runtime) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _routing;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await runtime.Routing!.RefreshNowAsync(cancellationToken);
        _routing = runtime.Routing.RunAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_routing is not null)
        {
            await _routing;
        }
        await runtime.Connections!.DisposeAsync();
    }
}
