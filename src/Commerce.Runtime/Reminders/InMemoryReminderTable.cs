using System.Collections.Concurrent;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.Storage;

namespace Commerce.Runtime.Reminders;

/// <summary>Reminders in a dictionary. Unit tests only: nothing survives the process.</summary>
public sealed class InMemoryReminderTable : IReminderTable
{
    private readonly ConcurrentDictionary<(GrainId, string), ReminderEntry> _entries = new();

    public Task UpsertAsync(ReminderEntry entry, StorageFence? fence, CancellationToken cancellationToken)
    {
        _entries[(entry.GrainId, entry.Name)] = entry;
        return Task.CompletedTask;
    }

    public Task<bool> RemoveAsync(GrainId grainId, string name, StorageFence? fence, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.TryRemove((grainId, name), out _));

    public Task<ReminderEntry?> ReadAsync(GrainId grainId, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.GetValueOrDefault((grainId, name)));

    public Task<IReadOnlyList<ReminderEntry>> ReadForGrainAsync(GrainId grainId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ReminderEntry>>([.. _entries.Values.Where(e => e.GrainId == grainId).OrderBy(e => e.Name, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<ReminderEntry>> ReadDueAsync(DateTimeOffset dueBefore, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ReminderEntry>>([.. _entries.Values
            .Where(e => e.DueAt <= dueBefore && (partitions is null || partitions.Contains(PartitionMap.PartitionOf(e.GrainId))))
            .OrderBy(e => e.DueAt)]);

    public Task AdvanceAsync(GrainId grainId, string name, DateTimeOffset nextDueAt, StorageFence? fence, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue((grainId, name), out var entry))
        {
            _entries[(grainId, name)] = entry with { DueAt = nextDueAt };
        }
        return Task.CompletedTask;
    }

    public Task<ReminderTableSummary> SummarizeAsync(CancellationToken cancellationToken)
    {
        var entries = _entries.Values.ToList();
        return Task.FromResult(new ReminderTableSummary(entries.Count, entries.Count == 0 ? null : entries.Min(e => e.DueAt)));
    }
}
