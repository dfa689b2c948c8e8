namespace Commerce.Runtime;

/// <summary>
/// One named piece of a grain's durable state. Read before OnActivateAsync; written only when the grain
/// asks. A write completes only after the storage committed it.
/// </summary>
public interface IPersistentState<TState>
{
    TState State { get; set; }

    /// <summary>The stored version this activation last read or wrote; null when nothing is stored.</summary>
    string? Etag { get; }

    bool RecordExists { get; }

    Task ReadStateAsync();

    Task WriteStateAsync();

    Task ClearStateAsync();

    /// <summary>
    /// Appends a record to this state's journal (an inventory ledger row, an outbox event). It is
    /// committed in the same transaction as the next <see cref="WriteStateAsync"/>, so journal and
    /// state always agree; if that write fails, the record is discarded with it.
    /// </summary>
    void AppendToJournal<TEntry>(string kind, TEntry entry);
}
