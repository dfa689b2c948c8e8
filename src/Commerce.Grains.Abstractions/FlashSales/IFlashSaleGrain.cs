using Orleans;
using Orleans.Concurrency;

namespace Commerce.Grains.FlashSales;

/// <summary>
/// Told what happens in a sale: enough for a gateway node to push every customer's position,
/// admission, sold out and end. Subscriptions are leases: renew them.
/// </summary>
[Alias("Commerce.IFlashSaleObserver")]
public interface IFlashSaleObserver : IGrainObserver
{
    [OneWay]
    Task Joined(string saleId, string customerId, long ticket);

    /// <summary>Every ticket up to <paramref name="admittedThrough"/> left the waiting line: positions moved.</summary>
    [OneWay]
    Task QueueAdvanced(string saleId, long admittedThrough);

    /// <summary>A customer may buy now; the token is for that customer only.</summary>
    [OneWay]
    Task Admitted(string saleId, string customerId, PurchaseToken token);

    [OneWay]
    Task SoldOut(string saleId);

    [OneWay]
    Task Ended(string saleId, SalePhase phase);
}

/// <summary>
/// One flash sale (the grain key is the sale id): its pool of units, its FIFO queue, admission at a
/// rate, purchase tokens and purchases. Everything a buyer is told was committed first.
/// </summary>
[Alias("Commerce.IFlashSaleGrain")]
public interface IFlashSaleGrain : IGrainWithStringKey
{
    /// <summary>Creates the sale and takes its units from inventory. Idempotent: the same definition again returns the sale.</summary>
    Task<FlashSaleResult> Create(CreateFlashSale definition);

    /// <summary>Operator: ends the sale now; unsold units go back to inventory.</summary>
    Task<FlashSaleResult> Cancel(string actor);

    /// <summary>Operator: opens a scheduled sale now instead of at its start time.</summary>
    Task<FlashSaleResult> StartNow(string actor);

    /// <summary>Null when no sale has this id.</summary>
    [ReadOnly]
    Task<FlashSaleStatus?> GetStatus();

    /// <summary>Queues the customer once; a repeat returns the same place.</summary>
    Task<JoinResult> Join(string customerId);

    [ReadOnly]
    Task<JoinResult> GetQueueStatus(string customerId);

    Task<PurchaseResult> Purchase(PurchaseRequest request);

    /// <summary>The customer's purchase; <see cref="FlashSaleError.NotFound"/> for another customer's.</summary>
    [ReadOnly]
    Task<PurchaseResult> GetPurchase(string customerId, string purchaseId);

    /// <summary>
    /// The customer's purchase when <paramref name="orderId"/> could take it for checkout now; otherwise
    /// the refusal <see cref="ClaimForCheckout"/> would give (unknown, paid, expired, in another checkout). Claims nothing.
    /// </summary>
    [ReadOnly]
    Task<PurchaseResult> GetPayablePurchase(string customerId, string purchaseId, string orderId);

    /// <summary>
    /// The checkout saga of <paramref name="orderId"/> takes the purchase: from now on it cannot expire
    /// and no other order may take it, until <see cref="CompleteCheckout"/> or <see cref="ReleaseCheckout"/>.
    /// Idempotent for the same order.
    /// </summary>
    Task<PurchaseResult> ClaimForCheckout(string customerId, string purchaseId, string orderId);

    /// <summary>
    /// The order paid: its units move out of the sale's pool into the order's reservation
    /// <paramref name="reservationId"/>, confirmed as sold. Idempotent.
    /// </summary>
    Task<PurchaseResult> CompleteCheckout(string purchaseId, string orderId, string reservationId);

    /// <summary>The order was not paid (declined, cancelled): the purchase awaits payment again until its time is up. Idempotent.</summary>
    Task ReleaseCheckout(string purchaseId, string orderId);

    /// <summary>Subscribes or renews an observer's lease.</summary>
    Task Subscribe(IFlashSaleObserver observer);

    Task Unsubscribe(IFlashSaleObserver observer);
}

/// <summary>The list of flash sales, for operators (one grain, key <see cref="FlashSaleCatalog.GrainKey"/>).</summary>
[Alias("Commerce.IFlashSaleCatalogGrain")]
public interface IFlashSaleCatalogGrain : IGrainWithStringKey
{
    Task Add(string saleId);

    [ReadOnly]
    Task<IReadOnlyList<string>> List();
}

public static class FlashSaleCatalog
{
    public const string GrainKey = "all";
}
