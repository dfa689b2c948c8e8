using Commerce.Runtime.Activations;
using Commerce.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Cluster;

/// <summary>
/// The partitions this silo serves. It wants the partitions that rendezvous hashing gives it among
/// the active silos; it takes a partition only when the lease table lets it (free, expired, or held
/// by a silo no longer serving), each time with a new epoch; it gives up a partition it no longer
/// should own only after deactivating that partition's grains, so their state is flushed first.
///
/// A lease is trusted locally only until its renewal time plus the lease duration, measured from
/// before the renewal was sent, minus a margin: a silo paused past that (GC, SIGSTOP, a partition
/// from the database) serves nothing from the partition until it renews again, and what it tries
/// to write meanwhile is refused by the epoch fence in PostgreSQL.
/// </summary>
internal sealed class PartitionOwnership(SiloRuntime runtime, IPartitionLeaseTable leases, ClusterMembership membership, ClusterOptions options, ILogger logger)
{
    private sealed record Slot(long Epoch, long ValidUntilTicks, bool Draining, StorageFence Fence);

    private Slot?[] _slots = new Slot?[PartitionMap.Count];
    private int[] _owned = [];
    private readonly SemaphoreSlim _rebalancing = new(1, 1);

    /// <summary>Partitions held now (including those being handed off), for reminder polling and telemetry.</summary>
    public IReadOnlyCollection<int> OwnedPartitions => Volatile.Read(ref _owned);

    /// <summary>True when this silo serves <paramref name="partition"/> now; gives the fence its writes carry.</summary>
    public bool TryGetFence(int partition, out StorageFence fence)
    {
        var slot = Volatile.Read(ref _slots)[partition];
        if (slot is { Draining: false } && Environment.TickCount64 < slot.ValidUntilTicks)
        {
            fence = slot.Fence;
            return true;
        }
        fence = default;
        return false;
    }

    /// <summary>True while an activation made under <paramref name="epoch"/> may still run calls.</summary>
    public bool IsCurrent(int partition, long epoch)
    {
        var slot = Volatile.Read(ref _slots)[partition];
        return slot is { Draining: false } && slot.Epoch == epoch && Environment.TickCount64 < slot.ValidUntilTicks;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await RebalanceAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Partition rebalance of {Silo} failed; retrying", membership.SiloId);
            }
            try
            {
                await Task.WhenAny(membership.NextChange, leases.WaitForChangeAsync(stopping), Task.Delay(options.LeaseRenewInterval, stopping));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Renews what is held, hands off what should go elsewhere, takes what should come here.</summary>
    public async Task RebalanceAsync(CancellationToken cancellationToken)
    {
        await _rebalancing.WaitAsync(cancellationToken);
        try
        {
            var owner = membership.SiloId;
            var started = Environment.TickCount64;
            var held = await leases.RenewAsync(owner, options.LeaseDuration, cancellationToken);
            var validUntil = started + (long)(options.LeaseDuration.TotalMilliseconds * 0.8);
            var slots = (Slot?[])Volatile.Read(ref _slots).Clone();
            var lost = Enumerable.Range(0, PartitionMap.Count).Where(p => slots[p] is not null).ToHashSet();
            foreach (var lease in held)
            {
                lost.Remove(lease.Partition);
                var draining = slots[lease.Partition] is { Draining: true } previous && previous.Epoch == lease.Epoch;
                slots[lease.Partition] = new Slot(lease.Epoch, validUntil, draining, new StorageFence(lease.Partition, lease.Epoch, owner));
            }
            foreach (var partition in lost)
            {
                slots[partition] = null;
            }
            Publish(slots);
            if (lost.Count > 0)
            {
                logger.LogWarning("Silo {Silo} lost {Count} partition leases to other silos", owner, lost.Count);
                await DeactivatePartitionsAsync(lost, "Partition lease lost");
            }

            var active = membership.IsShuttingDown ? [] : membership.ActiveSilos;
            var desired = active.Contains(owner)
                ? Enumerable.Range(0, PartitionMap.Count).Where(p => PartitionMap.DesiredOwner(p, active) == owner).ToHashSet()
                : [];
            var toRelease = held.Where(l => !desired.Contains(l.Partition)).ToList();
            if (toRelease.Count > 0)
            {
                await HandOffAsync(toRelease, cancellationToken);
            }
            var toAcquire = desired.Where(p => Volatile.Read(ref _slots)[p] is null).ToList();
            if (toAcquire.Count > 0)
            {
                var acquiredAt = Environment.TickCount64;
                var acquired = await leases.AcquireAsync(owner, toAcquire, options.LeaseDuration, cancellationToken);
                if (acquired.Count > 0)
                {
                    var until = acquiredAt + (long)(options.LeaseDuration.TotalMilliseconds * 0.8);
                    slots = (Slot?[])Volatile.Read(ref _slots).Clone();
                    foreach (var lease in acquired)
                    {
                        slots[lease.Partition] = new Slot(lease.Epoch, until, false, new StorageFence(lease.Partition, lease.Epoch, owner));
                    }
                    Publish(slots);
                    logger.LogInformation("Silo {Silo} took {Count} partitions", owner, acquired.Count);
                }
            }
        }
        finally
        {
            _rebalancing.Release();
        }
    }

    /// <summary>Stops serving the partitions, deactivates their grains (flushing state), then gives the leases back.</summary>
    private async Task HandOffAsync(IReadOnlyList<PartitionLease> leasesToRelease, CancellationToken cancellationToken)
    {
        var slots = (Slot?[])Volatile.Read(ref _slots).Clone();
        foreach (var lease in leasesToRelease)
        {
            if (slots[lease.Partition] is { } slot)
            {
                slots[lease.Partition] = slot with { Draining = true };
            }
        }
        Publish(slots);
        await DeactivatePartitionsAsync(leasesToRelease.Select(l => l.Partition).ToHashSet(), "Partition handed to another silo");
        await leases.ReleaseAsync(membership.SiloId, leasesToRelease, cancellationToken);
        slots = (Slot?[])Volatile.Read(ref _slots).Clone();
        foreach (var lease in leasesToRelease)
        {
            slots[lease.Partition] = null;
        }
        Publish(slots);
        logger.LogInformation("Silo {Silo} handed off {Count} partitions", membership.SiloId, leasesToRelease.Count);
    }

    /// <summary>Planned shutdown: every partition is handed off before the silo leaves.</summary>
    public async Task HandOffAllAsync(CancellationToken cancellationToken)
    {
        await _rebalancing.WaitAsync(cancellationToken);
        try
        {
            var held = await leases.RenewAsync(membership.SiloId, options.LeaseDuration, cancellationToken);
            await HandOffAsync(held, cancellationToken);
        }
        finally
        {
            _rebalancing.Release();
        }
    }

    /// <summary>This silo was declared dead: it serves nothing more, and its grains go without writing.</summary>
    public async Task DropAllAsync()
    {
        var owned = Volatile.Read(ref _owned).ToHashSet();
        Publish(new Slot?[PartitionMap.Count]);
        await DeactivatePartitionsAsync(owned, "The silo was declared dead");
    }

    private async Task DeactivatePartitionsAsync(IReadOnlySet<int> partitions, string why)
    {
        var activations = runtime.Catalog.All.Where(a => partitions.Contains(a.Partition)).ToList();
        foreach (var activation in activations)
        {
            activation.Deactivate(new DeactivationReason(DeactivationReasonCode.PartitionMoved, why));
        }
        var all = Task.WhenAll(activations.Select(a => a.Closed));
        if (await Task.WhenAny(all, Task.Delay(runtime.Options.DeactivationTimeout)) != all)
        {
            logger.LogWarning("{Count} activations did not deactivate in time during a partition hand-off", activations.Count(a => !a.IsClosed));
        }
    }

    private void Publish(Slot?[] slots)
    {
        Volatile.Write(ref _slots, slots);
        Volatile.Write(ref _owned, [.. Enumerable.Range(0, PartitionMap.Count).Where(p => slots[p] is not null)]);
    }
}
