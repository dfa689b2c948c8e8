namespace Commerce.Runtime.Storage;

/// <summary>A stored state document and the version that acts as its ETag.</summary>
public sealed record StoredState(byte[] Json, long Version);

/// <summary>A journal record to commit with a state write: its kind and its JSON document.</summary>
public sealed record JournalRecord(string Kind, byte[] Json);

/// <summary>A committed journal record: its global sequence number, the state version it was written with, and when.</summary>
public sealed record StoredJournalRecord(long Sequence, long Version, string Kind, byte[] Json, DateTimeOffset CreatedAt);

/// <summary>
/// Durable storage for grain state, one row per grain type, key and state name. Versions are the
/// optimistic-concurrency token: a write names the version it replaces and fails with
/// <see cref="InconsistentStateException"/> if storage holds another, never overwriting it.
/// </summary>
public interface IGrainStorage
{
    /// <summary>The stored state, or null when none exists.</summary>
    Task<StoredState?> ReadAsync(GrainId grainId, string stateName, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="json"/> if the stored version equals <paramref name="expectedVersion"/>
    /// (null: no row may exist), together with <paramref name="journal"/> in the same transaction,
    /// and only while <paramref name="fence"/> (when given) is the partition's current lease.
    /// Returns the new version once committed.
    /// </summary>
    Task<long> WriteAsync(GrainId grainId, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion, IReadOnlyList<JournalRecord> journal, StorageFence? fence, CancellationToken cancellationToken);

    /// <summary>
    /// Journal records of one state and kind in commit order, after <paramref name="afterSequence"/>
    /// (0 for the start), at most <paramref name="limit"/>: one page, for keyset paging.
    /// </summary>
    Task<IReadOnlyList<StoredJournalRecord>> ReadJournalAsync(GrainId grainId, string stateName, string kind, long afterSequence, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes the stored state under the same version rule as <see cref="WriteAsync"/>.</summary>
    Task ClearAsync(GrainId grainId, string stateName, long? expectedVersion, StorageFence? fence, CancellationToken cancellationToken);
}

public static class GrainStorageExtensions
{
    /// <summary>A state write without journal records or fence.</summary>
    public static Task<long> WriteAsync(this IGrainStorage storage, GrainId grainId, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion, CancellationToken cancellationToken) =>
        storage.WriteAsync(grainId, stateName, json, expectedVersion, [], null, cancellationToken);

    /// <summary>A state write with journal records and no fence.</summary>
    public static Task<long> WriteAsync(this IGrainStorage storage, GrainId grainId, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion, IReadOnlyList<JournalRecord> journal, CancellationToken cancellationToken) =>
        storage.WriteAsync(grainId, stateName, json, expectedVersion, journal, null, cancellationToken);

    /// <summary>A clear without fence.</summary>
    public static Task ClearAsync(this IGrainStorage storage, GrainId grainId, string stateName, long? expectedVersion, CancellationToken cancellationToken) =>
        storage.ClearAsync(grainId, stateName, expectedVersion, null, cancellationToken);
}
