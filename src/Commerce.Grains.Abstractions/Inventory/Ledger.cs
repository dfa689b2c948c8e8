namespace Commerce.Grains.Inventory;

public enum StockChangeKind
{
    Received,
    Adjusted,
    Reserved,
    Confirmed,
    Released,
    Expired,
    Allocated,
    ReservedFromAllocation,
    Configured,
}

/// <summary>
/// One change of a SKU's stock, written in the same transaction as the stock itself, so that the
/// ledger always reconciles: replaying the deltas gives the current figures. Figures are those of
/// <see cref="WarehouseId"/>; a configuration change has no warehouse and no delta.
/// </summary>
/// <param name="HoldQuantity">For an entry that placed an expiring hold (<see cref="StockChangeKind.Reserved"/>,
/// <see cref="StockChangeKind.ReservedFromAllocation"/>): the units held. The SKU rebuilds its live holds from these entries.</param>
/// <param name="HoldExpiresAt">For an entry that placed an expiring hold: when it runs out.</param>
public sealed record LedgerEntry(
    StockChangeKind Kind,
    string? WarehouseId,
    int OnHandBefore,
    int OnHandAfter,
    int ReservedBefore,
    int ReservedAfter,
    string? Reason,
    string? ReservationId,
    string? OrderId,
    string Actor,
    DateTimeOffset At,
    int? HoldQuantity = null,
    DateTimeOffset? HoldExpiresAt = null)
{
    public int OnHandDelta => OnHandAfter - OnHandBefore;

    public int ReservedDelta => ReservedAfter - ReservedBefore;
}

/// <summary>A committed ledger entry and its position in the ledger.</summary>
public sealed record LedgerRow(long Sequence, LedgerEntry Entry);

/// <summary>A page of the ledger, oldest first; pass <see cref="NextAfter"/> to get the next page (null at the end).</summary>
public sealed record LedgerPage(IReadOnlyList<LedgerRow> Rows, long? NextAfter);
