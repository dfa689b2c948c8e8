using Orleans;

namespace Commerce.Grains.FlashSales;

/// <summary>
/// An operator's flash sale. <paramref name="Units"/> are taken from the SKU's inventory into the
/// sale's own pool at creation; customers are admitted from the queue at
/// <paramref name="AdmissionRatePerSecond"/>, each with a purchase token valid for
/// <paramref name="TokenLifetime"/> (default 5 minutes).
/// </summary>
[GenerateSerializer, Immutable, Alias("Commerce.CreateFlashSale")]
public sealed record CreateFlashSale(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Units,
    [property: Id(2)] Money Price,
    [property: Id(3)] DateTimeOffset StartsAt,
    [property: Id(4)] DateTimeOffset EndsAt,
    [property: Id(5)] int PerCustomerLimit,
    [property: Id(6)] int AdmissionRatePerSecond,
    [property: Id(7)] TimeSpan? TokenLifetime,
    [property: Id(8)] string? WarehouseId,
    [property: Id(9)] string Actor)
{
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromMinutes(5);
}

[GenerateSerializer, Alias("Commerce.SalePhase")]
public enum SalePhase
{
    /// <summary>Created; customers may queue, nobody is admitted yet.</summary>
    Scheduled,

    /// <summary>Admitting customers and taking purchases.</summary>
    Live,

    /// <summary>Every unit is sold: every further request is answered from memory.</summary>
    SoldOut,

    /// <summary>Its end time passed; unsold units went back to inventory.</summary>
    Ended,

    /// <summary>Cancelled by an operator; unsold units went back to inventory.</summary>
    Cancelled,
}

/// <summary>A sale as everyone may see it.</summary>
/// <param name="UnitsSold">Units bought and not given back: paid, or awaiting payment.</param>
/// <param name="CustomersWaiting">Queued and not admitted yet.</param>
/// <param name="TokensOutstanding">Purchase tokens issued and neither used nor returned to the pool yet: the buyers the sale is waiting on.</param>
/// <param name="UnitsPaid">Units of purchases paid for: sold out of inventory as the orders' stock.</param>
/// <param name="UnitsAwaitingPayment">Units of purchases not paid yet (still in the sale's pool until paid or expired).</param>
/// <param name="UnitsExpired">Units of purchases not paid in time, which went back to the sale's pool for later buyers.</param>
[GenerateSerializer, Immutable, Alias("Commerce.FlashSaleStatus")]
public sealed record FlashSaleStatus(
    [property: Id(0)] string SaleId,
    [property: Id(1)] string Sku,
    [property: Id(2)] Money Price,
    [property: Id(3)] DateTimeOffset StartsAt,
    [property: Id(4)] DateTimeOffset EndsAt,
    [property: Id(5)] SalePhase Phase,
    [property: Id(6)] int Units,
    [property: Id(7)] int UnitsSold,
    [property: Id(8)] int PerCustomerLimit,
    [property: Id(9)] int AdmissionRatePerSecond,
    [property: Id(10)] TimeSpan TokenLifetime,
    [property: Id(11)] long CustomersQueued,
    [property: Id(12)] long CustomersWaiting,
    [property: Id(13)] int TokensOutstanding,
    [property: Id(14)] int UnitsReturnedToInventory,
    [property: Id(15)] int UnitsPaid,
    [property: Id(16)] int UnitsAwaitingPayment,
    [property: Id(17)] int UnitsExpired)
{
    public int UnitsRemaining => Units - UnitsSold;
}

[GenerateSerializer, Alias("Commerce.FlashSaleError")]
public enum FlashSaleError
{
    None,
    NotFound,

    /// <summary>A sale with this id exists with another definition.</summary>
    AlreadyExists,

    /// <summary>The SKU's inventory cannot supply the units.</summary>
    InsufficientStock,
    UnknownSku,

    /// <summary>The sale's price is not in the store's currency, which orders are charged in.</summary>
    CurrencyNotSold,
    SoldOut,

    /// <summary>The sale ended or was cancelled.</summary>
    SaleOver,

    /// <summary>The sale has not started yet.</summary>
    NotStarted,

    /// <summary>The customer is not admitted (not queued, still waiting, or already done).</summary>
    NotAdmitted,

    /// <summary>The token is not this customer's current purchase token.</summary>
    TokenInvalid,
    TokenExpired,

    /// <summary>More units than the token allows (the per-customer limit, or what is left).</summary>
    QuantityExceedsAllowance,

    /// <summary>The idempotency key was used before with another token or quantity.</summary>
    IdempotencyKeyReused,

    /// <summary>The sale's warehouse holds no stock of its SKU.</summary>
    UnknownWarehouse,

    /// <summary>The purchase was not paid within its time; its units went back to the sale's pool.</summary>
    PurchaseExpired,

    /// <summary>The purchase is paid already (by another order).</summary>
    AlreadyPaid,

    /// <summary>Another checkout of this purchase is under way.</summary>
    CheckoutInProgress,
}

[GenerateSerializer, Immutable, Alias("Commerce.FlashSaleResult")]
public sealed record FlashSaleResult([property: Id(0)] FlashSaleError Error, [property: Id(1)] FlashSaleStatus? Sale, [property: Id(2)] string? Message = null)
{
    public bool Succeeded => Error == FlashSaleError.None;
}

/// <summary>Permission to buy up to <paramref name="Quantity"/> units until <paramref name="ExpiresAt"/>; single use.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.PurchaseToken")]
public sealed record PurchaseToken([property: Id(0)] string Value, [property: Id(1)] DateTimeOffset ExpiresAt, [property: Id(2)] int Quantity);

[GenerateSerializer, Alias("Commerce.QueueEntryState")]
public enum QueueEntryState
{
    NotQueued,
    Waiting,
    Admitted,

    /// <summary>Bought and awaiting payment until <see cref="QueueStatus.PayBy"/>.</summary>
    Purchased,

    /// <summary>Bought and paid: <see cref="QueueStatus.OrderId"/> is the order.</summary>
    Paid,

    /// <summary>Bought but not paid in time; the units went back to the sale's pool.</summary>
    Expired,

    /// <summary>Admitted, but the token expired unused; the units went back to the pool.</summary>
    TokenExpired,

    /// <summary>
    /// Still waiting when the last unit was sold. While purchases still await payment the customer
    /// keeps the place (<see cref="QueueStatus.Position"/> is set) and is admitted if a unit comes back.
    /// </summary>
    SoldOut,

    /// <summary>The sale ended before this customer bought.</summary>
    SaleOver,
}

/// <summary>
/// One customer's place in a sale. <see cref="Position"/> counts from 1 among those still waiting;
/// <see cref="Token"/> is set only while admitted; <see cref="PayBy"/> while a purchase awaits payment;
/// <see cref="OrderId"/> once it is paid.
/// </summary>
[GenerateSerializer, Immutable, Alias("Commerce.QueueStatus")]
public sealed record QueueStatus(
    [property: Id(0)] string SaleId,
    [property: Id(1)] string CustomerId,
    [property: Id(2)] QueueEntryState State,
    [property: Id(3)] long? Ticket,
    [property: Id(4)] long? Position,
    [property: Id(5)] PurchaseToken? Token,
    [property: Id(6)] string? PurchaseId,
    [property: Id(7)] DateTimeOffset? PayBy = null,
    [property: Id(8)] string? OrderId = null);

[GenerateSerializer, Immutable, Alias("Commerce.JoinResult")]
public sealed record JoinResult([property: Id(0)] FlashSaleError Error, [property: Id(1)] QueueStatus? Status, [property: Id(2)] string? Message = null)
{
    public bool Succeeded => Error == FlashSaleError.None;
}

/// <summary>A purchase with a token. A retry with the same <paramref name="IdempotencyKey"/> returns the first result.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.PurchaseRequest")]
public sealed record PurchaseRequest([property: Id(0)] string CustomerId, [property: Id(1)] string Token, [property: Id(2)] int Quantity, [property: Id(3)] string IdempotencyKey);

[GenerateSerializer, Alias("Commerce.PurchaseState")]
public enum PurchaseState
{
    /// <summary>The units stay in the sale's pool, promised to this buyer, until <see cref="FlashSalePurchase.PayBy"/>.</summary>
    AwaitingPayment,

    /// <summary>Checked out and paid: the units are the order's, sold out of inventory.</summary>
    Paid,

    /// <summary>Not paid in time: the units went back to the sale's pool.</summary>
    Expired,
}

/// <summary>
/// Units bought in a sale at the sale's price. They stay in the sale's pool until the buyer checks
/// the purchase out (an order, paid by card) before <paramref name="PayBy"/>; unpaid by then, they
/// go back to the pool for the next buyer in the queue.
/// </summary>
/// <param name="OrderId">The order that paid for it (or whose checkout is under way).</param>
[GenerateSerializer, Immutable, Alias("Commerce.FlashSalePurchase")]
public sealed record FlashSalePurchase(
    [property: Id(0)] string PurchaseId,
    [property: Id(1)] string SaleId,
    [property: Id(2)] string CustomerId,
    [property: Id(3)] string Sku,
    [property: Id(4)] int Quantity,
    [property: Id(5)] Money UnitPrice,
    [property: Id(6)] Money Total,
    [property: Id(7)] DateTimeOffset PurchasedAt,
    [property: Id(8)] DateTimeOffset PayBy,
    [property: Id(9)] PurchaseState State,
    [property: Id(10)] string? OrderId);

[GenerateSerializer, Immutable, Alias("Commerce.PurchaseResult")]
public sealed record PurchaseResult([property: Id(0)] FlashSaleError Error, [property: Id(1)] FlashSalePurchase? Purchase, [property: Id(2)] string? Message = null, [property: Id(3)] bool Replayed = false)
{
    public bool Succeeded => Error == FlashSaleError.None;
}
