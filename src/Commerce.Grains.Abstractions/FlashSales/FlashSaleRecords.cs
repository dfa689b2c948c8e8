namespace Commerce.Grains.FlashSales;

/// <summary>
/// An operator's flash sale. <paramref name="Units"/> are taken from the SKU's inventory into the
/// sale's own pool at creation; customers are admitted from the queue at
/// <paramref name="AdmissionRatePerSecond"/>, each with a purchase token valid for
/// <paramref name="TokenLifetime"/> (default 5 minutes).
/// </summary>
public sealed record CreateFlashSale(
    string Sku,
    int Units,
    Money Price,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int PerCustomerLimit,
    int AdmissionRatePerSecond,
    TimeSpan? TokenLifetime,
    string? WarehouseId,
    string Actor)
{
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromMinutes(5);
}

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
/// <param name="CustomersWaiting">Queued and not admitted yet.</param>
/// <param name="TokensOutstanding">Purchase tokens issued and neither used nor returned to the pool yet: the buyers the sale is waiting on.</param>
public sealed record FlashSaleStatus(
    string SaleId,
    string Sku,
    Money Price,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    SalePhase Phase,
    int Units,
    int UnitsSold,
    int PerCustomerLimit,
    int AdmissionRatePerSecond,
    TimeSpan TokenLifetime,
    long CustomersQueued,
    long CustomersWaiting,
    int TokensOutstanding,
    int UnitsReturnedToInventory)
{
    public int UnitsRemaining => Units - UnitsSold;
}

public enum FlashSaleError
{
    None,
    NotFound,

    /// <summary>A sale with this id exists with another definition.</summary>
    AlreadyExists,

    /// <summary>The SKU's inventory cannot supply the units.</summary>
    InsufficientStock,
    UnknownSku,
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
}

public sealed record FlashSaleResult(FlashSaleError Error, FlashSaleStatus? Sale, string? Message = null)
{
    public bool Succeeded => Error == FlashSaleError.None;
}

/// <summary>Permission to buy up to <paramref name="Quantity"/> units until <paramref name="ExpiresAt"/>; single use.</summary>
public sealed record PurchaseToken(string Value, DateTimeOffset ExpiresAt, int Quantity);

public enum QueueEntryState
{
    NotQueued,
    Waiting,
    Admitted,
    Purchased,

    /// <summary>Admitted, but the token expired unused; the units went back to the pool.</summary>
    TokenExpired,

    /// <summary>Still waiting when the last unit was sold.</summary>
    SoldOut,

    /// <summary>The sale ended before this customer bought.</summary>
    SaleOver,
}

/// <summary>
/// One customer's place in a sale. <see cref="Position"/> counts from 1 among those still waiting;
/// <see cref="Token"/> is set only while admitted.
/// </summary>
public sealed record QueueStatus(string SaleId, string CustomerId, QueueEntryState State, long? Ticket, long? Position, PurchaseToken? Token, string? PurchaseId);

public sealed record JoinResult(FlashSaleError Error, QueueStatus? Status, string? Message = null)
{
    public bool Succeeded => Error == FlashSaleError.None;
}

/// <summary>A purchase with a token. A retry with the same <paramref name="IdempotencyKey"/> returns the first result.</summary>
public sealed record PurchaseRequest(string CustomerId, string Token, int Quantity, string IdempotencyKey);

/// <summary>Units bought in a sale, held in inventory under <see cref="ReservationId"/> until checkout confirms them.</summary>
public sealed record FlashSalePurchase(
    string PurchaseId,
    string SaleId,
    string CustomerId,
    string Sku,
    int Quantity,
    Money UnitPrice,
    Money Total,
    string ReservationId,
    DateTimeOffset PurchasedAt);

public sealed record PurchaseResult(FlashSaleError Error, FlashSalePurchase? Purchase, string? Message = null, bool Replayed = false)
{
    public bool Succeeded => Error == FlashSaleError.None;
}
