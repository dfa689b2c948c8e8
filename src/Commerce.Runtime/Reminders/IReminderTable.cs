using Commerce.Runtime.Storage;

namespace Commerce.Runtime.Reminders;

/// <summary>
/// A durable reminder. <see cref="Period"/> null means one-shot: removed once delivered.
/// <see cref="DueAt"/> is the next time it is due.
/// </summary>
public sealed record ReminderEntry(GrainId GrainId, string Name, DateTimeOffset FirstDueAt, TimeSpan? Period, DateTimeOffset DueAt);

/// <summary>How many reminders the table holds and when the earliest is due (null when empty).</summary>
public sealed record ReminderTableSummary(long Count, DateTimeOffset? NextDueAt);

/// <summary>Where reminders live so that they survive silo restarts.</summary>
public interface IReminderTable
{
    // Writes carry the grain's partition lease (when clustered): a silo that lost the partition
    // cannot change its reminders (LeaseLostException).

    /// <summary>Inserts or replaces the reminder with the entry's grain and name.</summary>
    Task UpsertAsync(ReminderEntry entry, StorageFence? fence, CancellationToken cancellationToken);

    /// <summary>Removes it; false if it did not exist.</summary>
    Task<bool> RemoveAsync(GrainId grainId, string name, StorageFence? fence, CancellationToken cancellationToken);

    Task<ReminderEntry?> ReadAsync(GrainId grainId, string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<ReminderEntry>> ReadForGrainAsync(GrainId grainId, CancellationToken cancellationToken);

    /// <summary>
    /// Every reminder due at or before <paramref name="dueBefore"/>, earliest first; only those of
    /// <paramref name="partitions"/> when given (a clustered silo polls the partitions it owns).
    /// </summary>
    Task<IReadOnlyList<ReminderEntry>> ReadDueAsync(DateTimeOffset dueBefore, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken);

    /// <summary>Moves a periodic reminder's next due time forward after a delivery.</summary>
    Task AdvanceAsync(GrainId grainId, string name, DateTimeOffset nextDueAt, StorageFence? fence, CancellationToken cancellationToken);

    /// <summary>Every reminder of the cluster counted, with the earliest due time: for operators' dashboards.</summary>
    Task<ReminderTableSummary> SummarizeAsync(CancellationToken cancellationToken);
}
