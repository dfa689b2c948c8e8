using System.Collections.Concurrent;

namespace Commerce.Runtime.Reminders;

/// <summary>Reminders in a dictionary. Unit tests only: nothing survives the process.</summary>
public sealed class InMemoryReminderTable : IReminderTable
{
    private readonly ConcurrentDictionary<(GrainId, string), ReminderEntry> _entries = new();

    public Task UpsertAsync(ReminderEntry entry, CancellationToken cancellationToken)
    {
        _entries[(entry.GrainId, entry.Name)] = entry;
        return Task.CompletedTask;
    }

    public Task<bool> RemoveAsync(GrainId grainId, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.TryRemove((grainId, name), out _));

    public Task<ReminderEntry?> ReadAsync(GrainId grainId, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.GetValueOrDefault((grainId, name)));

    public Task<IReadOnlyList<ReminderEntry>> ReadForGrainAsync(GrainId grainId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ReminderEntry>>([.. _entries.Values.Where(e => e.GrainId == grainId).OrderBy(e => e.Name, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<ReminderEntry>> ReadDueAsync(DateTimeOffset dueBefore, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ReminderEntry>>([.. _entries.Values.Where(e => e.DueAt <= dueBefore).OrderBy(e => e.DueAt)]);

    public Task AdvanceAsync(GrainId grainId, string name, DateTimeOffset nextDueAt, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue((grainId, name), out var entry))
        {
            _entries[(grainId, name)] = entry with { DueAt = nextDueAt };
        }
        return Task.CompletedTask;
    }
}
