using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Cluster;

/// <summary>
/// Which silo owns each partition, as the lease table says. Re-read when the database announces a
/// change (LISTEN/NOTIFY), when a caller finds a route stale, and every refresh interval anyway.
/// </summary>
internal sealed class RoutingTable(IPartitionLeaseTable leases, ClusterOptions options, ILogger logger)
{
    private PartitionRoute?[] _routes = new PartitionRoute?[PartitionMap.Count];
    private TaskCompletionSource _refreshed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _refreshRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PartitionRoute? Find(int partition) => Volatile.Read(ref _routes)[partition];

    public IReadOnlyList<PartitionRoute> All => [.. Volatile.Read(ref _routes).Where(r => r is not null).Select(r => r!)];

    /// <summary>Asks for a re-read and completes after the next one.</summary>
    public Task RefreshAsync()
    {
        var refreshed = Volatile.Read(ref _refreshed).Task;
        Volatile.Read(ref _refreshRequested).TrySetResult();
        return refreshed;
    }

    public async Task RefreshNowAsync(CancellationToken cancellationToken)
    {
        var routes = new PartitionRoute?[PartitionMap.Count];
        foreach (var route in await leases.ReadRoutesAsync(cancellationToken))
        {
            routes[route.Partition] = route;
        }
        Volatile.Write(ref _routes, routes);
        Interlocked.Exchange(ref _refreshed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            // Requests made from here on ask for the next read, not this one.
            Interlocked.Exchange(ref _refreshRequested, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            try
            {
                await RefreshNowAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Reading the routing table failed; retrying");
            }
            try
            {
                var changed = leases.WaitForChangeAsync(stopping);
                var next = Volatile.Read(ref _refreshRequested).Task;
                await Task.WhenAny(changed, next, Task.Delay(options.RoutingRefreshInterval, stopping));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
