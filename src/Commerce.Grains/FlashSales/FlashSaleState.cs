namespace Commerce.Grains.FlashSales;

/// <summary>
/// The stored state of one sale (JSONB). The queue itself is not here: each join is a journal
/// record committed with the state, so a queue of a hundred thousand customers never makes every
/// write rewrite it. Admissions and purchases are bounded by the pool, so they live here. Every
/// unit of the sale stays in its inventory allocation until a purchase of it is paid.
/// </summary>
internal sealed class FlashSaleState
{
    /// <summary>Null until the sale is created.</summary>
    public CreateFlashSale? Definition { get; set; }

    /// <summary>The start time in force (an operator may open the sale early).</summary>
    public DateTimeOffset StartsAt { get; set; }

    /// <summary>Ended or Cancelled once the sale is over; null before.</summary>
    public SalePhase? Outcome { get; set; }

    /// <summary>True once the unsold units went back to the SKU's inventory.</summary>
    public bool UnitsReturned { get; set; }

    public int UnitsReturnedCount { get; set; }

    /// <summary>Tickets issued: the number of customers who joined.</summary>
    public long Queued { get; set; }

    /// <summary>Every ticket up to this one has been admitted.</summary>
    public long AdmittedThrough { get; set; }

    /// <summary>Units bought and not given back: paid, or awaiting payment.</summary>
    public int UnitsSold { get; set; }

    /// <summary>Units of paid purchases (moved out of the pool into their orders' sold stock).</summary>
    public int UnitsPaid { get; set; }

    /// <summary>Units of purchases that expired unpaid and went back to the pool.</summary>
    public int UnitsExpired { get; set; }

    /// <summary>Units promised to live purchase tokens.</summary>
    public int UnitsClaimed { get; set; }

    public Dictionary<string, Admission> Admissions { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, SalePurchase> Purchases { get; set; } = new(StringComparer.Ordinal);
}

internal enum AdmissionState
{
    /// <summary>Holds a token that may still be used.</summary>
    Active,
    Used,
    Expired,

    /// <summary>The sale ended while the token was unused.</summary>
    Void,
}

internal sealed class Admission
{
    public long Ticket { get; set; }

    public string Token { get; set; } = "";

    /// <summary>Units the token may buy: the per-customer limit, or fewer when the pool had fewer.</summary>
    public int Quantity { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public AdmissionState State { get; set; }

    public string? PurchaseId { get; set; }
}

internal sealed class SalePurchase
{
    public string CustomerId { get; set; } = "";

    public string IdempotencyKey { get; set; } = "";

    public string Token { get; set; } = "";

    public int Quantity { get; set; }

    public DateTimeOffset PurchasedAt { get; set; }

    /// <summary>Unpaid by then (and no checkout under way), the units go back to the pool.</summary>
    public DateTimeOffset PayBy { get; set; }

    public PurchaseState State { get; set; }

    /// <summary>The order whose checkout holds the purchase (it cannot expire meanwhile), or that paid for it.</summary>
    public string? OrderId { get; set; }
}

/// <summary>A journal record: one customer joined the queue.</summary>
internal sealed record QueueJoin(string CustomerId, long Ticket, DateTimeOffset JoinedAt);
