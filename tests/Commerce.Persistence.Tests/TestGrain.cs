namespace Commerce.Persistence.Tests;

/// <summary>A grain's row key, as the storage tests write it.</summary>
internal sealed record TestGrain(string Type, string Key);

/// <summary>The store's calls keyed by <see cref="TestGrain"/>, so that each test reads as one grain's story.</summary>
internal static class GrainStateStoreExtensions
{
    public static Task<StoredState?> ReadAsync(this GrainStateStore store, TestGrain grain, string stateName, CancellationToken ct) =>
        store.ReadAsync(grain.Type, grain.Key, stateName, ct);

    public static Task<long> WriteAsync(this GrainStateStore store, TestGrain grain, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion, CancellationToken ct) =>
        store.WriteAsync(grain.Type, grain.Key, stateName, json, expectedVersion, [], ct);

    public static Task<long> WriteAsync(this GrainStateStore store, TestGrain grain, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion, IReadOnlyList<JournalRecord> journal, CancellationToken ct) =>
        store.WriteAsync(grain.Type, grain.Key, stateName, json, expectedVersion, journal, ct);

    public static Task ClearAsync(this GrainStateStore store, TestGrain grain, string stateName, long? expectedVersion, CancellationToken ct) =>
        store.ClearAsync(grain.Type, grain.Key, stateName, expectedVersion, ct);

    public static Task<IReadOnlyList<StoredJournalRecord>> ReadJournalAsync(this GrainStateStore store, TestGrain grain, string stateName, string kind, long afterSequence, int limit, CancellationToken ct) =>
        store.ReadJournalAsync(grain.Type, grain.Key, stateName, kind, afterSequence, limit, ct);
}
