using Orleans;
using Orleans.Concurrency;

namespace Commerce.Grains.Inventory;

/// <summary>What changed about a SKU's availability, for observers.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.StockLevelChange")]
public sealed record StockLevelChange([property: Id(0)] string Sku, [property: Id(1)] int Available, [property: Id(2)] StockLevel Level, [property: Id(3)] StockChangeKind Cause);

/// <summary>Told about stock changes of the SKUs it subscribed to. Subscriptions are leases: renew them.</summary>
[Alias("Commerce.IInventoryObserver")]
public interface IInventoryObserver : IGrainObserver
{
    /// <summary>Available stock changed.</summary>
    [OneWay]
    Task StockChanged(StockLevelChange change);

    /// <summary>Available stock fell to the low-stock threshold or below (but not to zero).</summary>
    [OneWay]
    Task LowStock(StockLevelChange change);

    /// <summary>Available stock rose above zero after being out.</summary>
    [OneWay]
    Task BackInStock(StockLevelChange change);
}

/// <summary>
/// The inventory of one SKU (the grain key) across warehouses. Every change is checked and applied
/// in one turn, so concurrent reservations never oversell, and is committed with its ledger entry
/// before the caller is answered. A SKU that is not in the catalog has no inventory: every change
/// is refused with <c>UnknownSku</c>.
/// </summary>
[Alias("Commerce.ISkuInventoryGrain")]
public interface ISkuInventoryGrain : IGrainWithStringKey
{
    /// <summary>Holds units from one warehouse; never splits across warehouses. A retry with the same id returns the first result.</summary>
    Task<ReservationResult> Reserve(ReserveStock request);

    /// <summary>Turns a hold into a sale: on-hand stock goes down. Idempotent.</summary>
    Task<ReservationResult> Confirm(string reservationId, string? orderId, string actor);

    /// <summary>Gives a hold (or what is left of an allocation) back to available stock. Idempotent.</summary>
    Task<ReservationResult> Release(string reservationId, string actor);

    /// <summary>Sets units aside without expiry, e.g. for a flash sale's pool. Idempotent by allocation id.</summary>
    Task<ReservationResult> Allocate(AllocateStock request);

    /// <summary>Moves units out of an allocation into an expiring reservation. Idempotent by reservation id.</summary>
    Task<ReservationResult> ReserveFromAllocation(ReserveFromAllocation request);

    Task<StockChangeResult> Receive(ReceiveStock request);

    Task<StockChangeResult> Adjust(AdjustStock request);

    Task<StockChangeResult> Configure(ConfigureStock request);

    /// <summary>The SKU's stock, or null when nothing was ever received or configured for it.</summary>
    [ReadOnly]
    Task<StockSnapshot?> GetStock();

    [ReadOnly]
    Task<Reservation?> GetReservation(string reservationId);

    /// <summary>Every live hold and allocation: their quantities add up to the reserved stock.</summary>
    [ReadOnly]
    Task<IReadOnlyList<Reservation>> GetHolds();

    /// <summary>Ledger entries after <paramref name="afterSequence"/> (0 for the start), at most <paramref name="limit"/>.</summary>
    [ReadOnly]
    Task<LedgerPage> GetLedger(long afterSequence, int limit);

    /// <summary>Subscribes or renews an observer's lease.</summary>
    Task Subscribe(IInventoryObserver observer);

    Task Unsubscribe(IInventoryObserver observer);
}
