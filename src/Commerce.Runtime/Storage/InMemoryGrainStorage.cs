using System.Collections.Concurrent;

namespace Commerce.Runtime.Storage;

/// <summary>Grain state in a dictionary, with the same version rules as the PostgreSQL provider. Unit tests only.</summary>
public sealed class InMemoryGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(GrainId, string), StoredState> _rows = new();
    private readonly List<(GrainId GrainId, string StateName, StoredJournalRecord Record)> _journal = [];
    private readonly object _journalGate = new();

    public Task<StoredState?> ReadAsync(GrainId grainId, string stateName, CancellationToken cancellationToken) =>
        Task.FromResult(_rows.GetValueOrDefault((grainId, stateName)));

    public Task<long> WriteAsync(GrainId grainId, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion, IReadOnlyList<JournalRecord> journal, StorageFence? fence, CancellationToken cancellationToken)
    {
        // No fencing in memory: one process, one owner. The journal lock makes state and journal change together, as one transaction would.
        lock (_journalGate)
        {
            var written = Write(grainId, stateName, json, expectedVersion);
            if (written.IsCompletedSuccessfully)
            {
                foreach (var record in journal)
                {
                    _journal.Add((grainId, stateName, new StoredJournalRecord(_journal.Count + 1, written.Result, record.Kind, record.Json, DateTimeOffset.UtcNow)));
                }
            }
            return written;
        }
    }

    public Task<IReadOnlyList<StoredJournalRecord>> ReadJournalAsync(GrainId grainId, string stateName, string kind, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        lock (_journalGate)
        {
            return Task.FromResult<IReadOnlyList<StoredJournalRecord>>([.. _journal
                .Where(j => j.GrainId == grainId && j.StateName == stateName && j.Record.Kind == kind && j.Record.Sequence > afterSequence)
                .Select(j => j.Record)
                .Take(limit)]);
        }
    }

    private Task<long> Write(GrainId grainId, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion)
    {
        var key = (grainId, stateName);
        var next = new StoredState(json.ToArray(), (expectedVersion ?? 0) + 1);
        var written = expectedVersion is null
            ? _rows.TryAdd(key, next)
            : _rows.TryGetValue(key, out var current) && current.Version == expectedVersion && _rows.TryUpdate(key, next, current);
        return written ? Task.FromResult(next.Version) : Task.FromException<long>(Conflict(grainId, stateName, expectedVersion));
    }

    public Task ClearAsync(GrainId grainId, string stateName, long? expectedVersion, StorageFence? fence, CancellationToken cancellationToken)
    {
        var key = (grainId, stateName);
        if (expectedVersion is null)
        {
            return _rows.ContainsKey(key) ? Task.FromException(Conflict(grainId, stateName, null)) : Task.CompletedTask;
        }
        return _rows.TryGetValue(key, out var current) && current.Version == expectedVersion && _rows.TryRemove(new KeyValuePair<(GrainId, string), StoredState>(key, current))
            ? Task.CompletedTask
            : Task.FromException(Conflict(grainId, stateName, expectedVersion));
    }

    private InconsistentStateException Conflict(GrainId grainId, string stateName, long? expected)
    {
        var stored = _rows.TryGetValue((grainId, stateName), out var current) ? current.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return new InconsistentStateException(
            $"State '{stateName}' of {grainId} is at version {stored ?? "none"}, not {expected?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}; the write was refused.",
            stored, expected?.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
