namespace Commerce.Runtime.Cluster;

public enum SiloStatus
{
    Joining,
    Active,
    ShuttingDown,
    Dead,
}

/// <summary>A vote that a silo failed to answer probes.</summary>
public sealed record Suspicion(string Voter, DateTimeOffset At);

/// <summary>One silo's row in the membership table. <see cref="SiloId"/> is address:port@generation.</summary>
public sealed record SiloEntry(
    string SiloId,
    string Address,
    int SiloPort,
    int? HttpPort,
    long Generation,
    SiloStatus Status,
    DateTimeOffset StartedAt,
    DateTimeOffset LastHeartbeat,
    IReadOnlyList<Suspicion> Suspicions)
{
    public bool IsServing => Status is SiloStatus.Active or SiloStatus.ShuttingDown;

    public static string MakeId(string address, int port, long generation) => $"{address}:{port}@{generation}";
}

/// <summary>The membership table at one version: changes are made against the version read.</summary>
public sealed record MembershipSnapshot(long Version, IReadOnlyList<SiloEntry> Silos)
{
    public SiloEntry? Find(string siloId) => Silos.FirstOrDefault(s => s.SiloId == siloId);
}

/// <summary>Where silos register, heartbeat and vote; PostgreSQL in production.</summary>
public interface IMembershipTable
{
    Task<MembershipSnapshot> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Inserts or replaces <paramref name="entry"/> if the table is still at <paramref name="expectedVersion"/>; false when someone changed it first.</summary>
    Task<bool> TryWriteAsync(SiloEntry entry, long expectedVersion, CancellationToken cancellationToken);

    /// <summary>Records that the silo is alive (not a membership change: no version bump).</summary>
    Task HeartbeatAsync(string siloId, CancellationToken cancellationToken);
}

/// <summary>A partition lease held by a silo: the epoch is the fencing token of every write made under it.</summary>
public sealed record PartitionLease(int Partition, string Owner, long Epoch);

/// <summary>Where a partition's calls go: its owner and how to reach it.</summary>
public sealed record PartitionRoute(int Partition, string Owner, long Epoch, string Address, int Port);

/// <summary>Partition leases with fencing epochs; PostgreSQL in production.</summary>
public interface IPartitionLeaseTable
{
    /// <summary>Takes the partitions that are free, expired or held by a silo no longer serving; each gets a new epoch.</summary>
    Task<IReadOnlyList<PartitionLease>> AcquireAsync(string siloId, IReadOnlyCollection<int> partitions, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Extends every lease the silo still holds and returns them (a lease taken over by another silo is absent).</summary>
    Task<IReadOnlyList<PartitionLease>> RenewAsync(string siloId, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives leases back, once their grains were deactivated and flushed.</summary>
    Task ReleaseAsync(string siloId, IReadOnlyCollection<PartitionLease> leases, CancellationToken cancellationToken);

    /// <summary>The owner of every owned partition, with the owner's address.</summary>
    Task<IReadOnlyList<PartitionRoute>> ReadRoutesAsync(CancellationToken cancellationToken);

    /// <summary>Completes when leases or membership may have changed (a notification), or when <paramref name="cancellationToken"/> fires.</summary>
    Task WaitForChangeAsync(CancellationToken cancellationToken);
}
