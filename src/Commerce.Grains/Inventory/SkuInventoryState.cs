namespace Commerce.Grains.Inventory;

/// <summary>The stored state of one SKU (JSONB). Every stock figure changes only through <see cref="SkuInventoryGrain"/>'s ledgered changes.</summary>
internal sealed class SkuInventoryState
{
    /// <summary>True once stock was received or the SKU configured: before that it is an unknown SKU.</summary>
    public bool Known { get; set; }

    public Dictionary<string, WarehouseCounts> Warehouses { get; set; } = new(StringComparer.Ordinal);

    public List<string> WarehousePriority { get; set; } = [];

    public int LowStockThreshold { get; set; }

    public bool BackorderAllowed { get; set; }

    /// <summary>Live holds and allocations by id; per warehouse their quantities add up to Reserved.</summary>
    public Dictionary<string, StockHold> Holds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Holds that ended, remembered for the idempotency window so that retries get the first answer.</summary>
    public Dictionary<string, FinishedHold> FinishedHolds { get; set; } = new(StringComparer.Ordinal);

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
