namespace Commerce.Grains.Inventory;

/// <summary>
/// The stored state of one SKU (JSONB). Every stock figure changes only through <see cref="SkuInventoryGrain"/>'s ledgered changes.
/// Its size is O(warehouses + allocations + operator operations): expiring holds and finished holds are not in it but in the
/// ledger entries that placed and ended them (committed with the counters they change), from which every activation rebuilds them.
/// </summary>
internal sealed class SkuInventoryState
{
    /// <summary>True once stock was received or the SKU configured: before that it is an unknown SKU.</summary>
    public bool Known { get; set; }

    public Dictionary<string, WarehouseCounts> Warehouses { get; set; } = new(StringComparer.Ordinal);

    public List<string> WarehousePriority { get; set; } = [];

    public int LowStockThreshold { get; set; }

    public bool BackorderAllowed { get; set; }

    /// <summary>Live allocations (holds without expiry) by id. With the journaled live holds, their quantities add up to Reserved per warehouse.</summary>
    public Dictionary<string, StockHold> Allocations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Ledger sequence at or before which no entry matters for holds any more: every hold placed there has ended and
    /// its ending has left the idempotency window. Activation reads only the ledger after it, then advances it.
    /// </summary>
    public long HoldJournalWatermark { get; set; }

    /// <summary>Operator operation ids already applied, with what they did.</summary>
    public Dictionary<string, AppliedOperation> AppliedOperations { get; set; } = new(StringComparer.Ordinal);
}

internal sealed class WarehouseCounts
{
    public int OnHand { get; set; }

    public int Reserved { get; set; }
}

/// <param name="ExpiresAt">Null for an allocation, which lasts until released.</param>
internal sealed record StockHold(string WarehouseId, int Quantity, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt)
{
    public Reservation ToReservation(string id) => new(id, WarehouseId, Quantity, ReservationState.Held, ExpiresAt);
}

internal sealed record FinishedHold(string WarehouseId, int Quantity, ReservationState State, DateTimeOffset FinishedAt)
{
    public Reservation ToReservation(string id) => new(id, WarehouseId, Quantity, State, null);
}

/// <param name="Fingerprint">What the operation did, to tell a retry from a different request reusing the id.</param>
internal sealed record AppliedOperation(string Fingerprint, DateTimeOffset AppliedAt);
