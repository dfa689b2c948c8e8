namespace Commerce.Runtime.Storage;

/// <summary>A stored state document and the version that acts as its ETag.</summary>
public sealed record StoredState(byte[] Json, long Version);

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
    /// (null: no row may exist). Returns the new version once committed.
    /// </summary>
    Task<long> WriteAsync(GrainId grainId, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion, CancellationToken cancellationToken);

    /// <summary>Deletes the stored state under the same version rule as <see cref="WriteAsync"/>.</summary>
    Task ClearAsync(GrainId grainId, string stateName, long? expectedVersion, CancellationToken cancellationToken);
}
