using Orleans;

namespace Commerce.Grains.Inventory;

[GenerateSerializer, Alias("Commerce.StockChangeKind")]
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
[GenerateSerializer, Immutable, Alias("Commerce.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] StockChangeKind Kind,
    [property: Id(1)] string? WarehouseId,
    [property: Id(2)] int OnHandBefore,
    [property: Id(3)] int OnHandAfter,
    [property: Id(4)] int ReservedBefore,
    [property: Id(5)] int ReservedAfter,
    [property: Id(6)] string? Reason,
    [property: Id(7)] string? ReservationId,
    [property: Id(8)] string? OrderId,
    [property: Id(9)] string Actor,
    [property: Id(10)] DateTimeOffset At,
    [property: Id(11)] int? HoldQuantity = null,
    [property: Id(12)] DateTimeOffset? HoldExpiresAt = null)
{
    public int OnHandDelta => OnHandAfter - OnHandBefore;

    public int ReservedDelta => ReservedAfter - ReservedBefore;
}

/// <summary>A committed ledger entry and its position in the ledger.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.LedgerRow")]
public sealed record LedgerRow([property: Id(0)] long Sequence, [property: Id(1)] LedgerEntry Entry);

/// <summary>A page of the ledger, oldest first; pass <see cref="NextAfter"/> to get the next page (null at the end).</summary>
[GenerateSerializer, Immutable, Alias("Commerce.LedgerPage")]
public sealed record LedgerPage([property: Id(0)] IReadOnlyList<LedgerRow> Rows, [property: Id(1)] long? NextAfter);
