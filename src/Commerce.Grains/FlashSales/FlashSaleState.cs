using Commerce.Persistence;

namespace Commerce.Grains.FlashSales;

/// <summary>
/// The stored state of one sale (JSONB): its definition and counters, small and fixed in size. The
/// queue, the admissions and the purchases are not here: each join, admission and purchase (and each
/// change of one) is a journal record committed with the state (<see cref="SaleLedger"/>), so neither
/// a queue of a hundred thousand nor a thousand purchases makes every commit rewrite them. Every unit
/// of the sale stays in its inventory allocation until a purchase of it is paid.
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

/// <summary>A journal record: a customer was admitted with a token.</summary>
internal sealed record AdmissionIssued(string CustomerId, long Ticket, string Token, int Quantity, DateTimeOffset ExpiresAt);

/// <summary>A journal record: an unused token expired, or the sale ended while it was unused.</summary>
internal sealed record AdmissionEnded(string CustomerId, AdmissionState State);

/// <summary>A journal record: a purchase with an admission's token (which it uses up).</summary>
internal sealed record PurchaseMade(string PurchaseId, string CustomerId, string IdempotencyKey, string Token, int Quantity, DateTimeOffset PurchasedAt, DateTimeOffset PayBy);

/// <summary>A journal record: a purchase's state or its checkout's order changed.</summary>
internal sealed record PurchaseChanged(string PurchaseId, PurchaseState State, string? OrderId);

/// <summary>
/// The sale's admissions and purchases, in memory, each change journaled as it is made (so it
/// commits with the state change it goes with, or not at all) and replayed on activation. The only
/// place either is changed: memory and journal cannot drift apart.
/// </summary>
internal sealed class SaleLedger(IJournaledState<FlashSaleState> sale)
{
    public const string QueueKind = "queue";
    private const string AdmissionKind = "admission";
    private const string AdmissionEndKind = "admission-end";
    private const string PurchaseKind = "purchase";
    private const string PurchaseChangeKind = "purchase-change";
    private const int PageSize = 10_000;

    public Dictionary<string, Admission> Admissions { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SalePurchase> Purchases { get; } = new(StringComparer.Ordinal);

    public void Admit(string customerId, Admission admission)
    {
        sale.AppendToJournal(AdmissionKind, new AdmissionIssued(customerId, admission.Ticket, admission.Token, admission.Quantity, admission.ExpiresAt));
        Admissions[customerId] = admission;
    }

    public void EndAdmission(string customerId, AdmissionState ending)
    {
        sale.AppendToJournal(AdmissionEndKind, new AdmissionEnded(customerId, ending));
        Admissions[customerId].State = ending;
    }

    public void Buy(string purchaseId, SalePurchase purchase)
    {
        sale.AppendToJournal(PurchaseKind, new PurchaseMade(purchaseId, purchase.CustomerId, purchase.IdempotencyKey, purchase.Token, purchase.Quantity, purchase.PurchasedAt, purchase.PayBy));
        Apply(purchaseId, purchase);
    }

    public void Change(string purchaseId, PurchaseState state, string? orderId)
    {
        sale.AppendToJournal(PurchaseChangeKind, new PurchaseChanged(purchaseId, state, orderId));
        (Purchases[purchaseId].State, Purchases[purchaseId].OrderId) = (state, orderId);
    }

    /// <summary>
    /// Replays the journal. Kinds are read one after the other, each in commit order: an admission
    /// precedes its end and its purchase, a purchase its changes, so no record refers to one not read yet.
    /// </summary>
    public async Task Load()
    {
        await ReadAll<AdmissionIssued>(sale, AdmissionKind, a => Admissions[a.CustomerId] = new Admission
        {
            Ticket = a.Ticket, Token = a.Token, Quantity = a.Quantity, ExpiresAt = a.ExpiresAt, State = AdmissionState.Active,
        });
        await ReadAll<AdmissionEnded>(sale, AdmissionEndKind, e => Admissions[e.CustomerId].State = e.State);
        await ReadAll<PurchaseMade>(sale, PurchaseKind, p => Apply(p.PurchaseId, new SalePurchase
        {
            CustomerId = p.CustomerId, IdempotencyKey = p.IdempotencyKey, Token = p.Token, Quantity = p.Quantity,
            PurchasedAt = p.PurchasedAt, PayBy = p.PayBy, State = PurchaseState.AwaitingPayment,
        }));
        await ReadAll<PurchaseChanged>(sale, PurchaseChangeKind, c => (Purchases[c.PurchaseId].State, Purchases[c.PurchaseId].OrderId) = (c.State, c.OrderId));
    }

    private void Apply(string purchaseId, SalePurchase purchase)
    {
        var admission = Admissions[purchase.CustomerId];
        admission.State = AdmissionState.Used;
        admission.PurchaseId = purchaseId;
        Purchases[purchaseId] = purchase;
    }

    /// <summary>Every journal record of one kind, in commit order, a page at a time.</summary>
    public static async Task ReadAll<TRecord>(IJournaledState<FlashSaleState> sale, string kind, Action<TRecord> apply)
    {
        long after = 0;
        while (true)
        {
            var page = await sale.ReadJournalAsync(kind, after, PageSize);
            foreach (var record in page)
            {
                apply(StateJson.Deserialize<TRecord>(record.Json));
            }
            if (page.Count < PageSize)
            {
                return;
            }
            after = page[^1].Sequence;
        }
    }
}
