using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Commerce.Grains.Carts;
using Commerce.Grains.Inventory;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Grains.FlashSales;

/// <summary>
/// One flash sale. The sale owns a pool of units allocated from the SKU's inventory at creation. A
/// timer admits customers from the FIFO queue at the sale's rate, each with a single-use token that
/// claims up to the per-customer limit from the pool; a purchase turns the claim into a sale that
/// the buyer pays for through the order saga (see <see cref="ClaimForCheckout"/>) within the
/// payment window, or its units go back to the pool for the next buyer; an expired token's claim
/// goes back to the pool too. The units stay in the sale's inventory allocation until paid, so no
/// expiry anywhere can turn them into regular stock while the sale counts them. Every
/// check and change happens synchronously at the start of a turn and the write is awaited last
/// (group commit), so concurrent buyers never see a half-done change and never oversell, and nobody
/// is told anything that is not committed. Once every unit is sold, requests are answered from memory.
/// </summary>
[Reentrant]
[GrainType("FlashSale")]
internal sealed class FlashSaleGrain : Grain, IFlashSaleGrain, IRemindable
{
    public const string StateName = "sale";
    private const string WakeUpReminder = "wake-up";

    /// <summary>How long units being returned to inventory sit in their passing hold if the release after it is lost.</summary>
    private static readonly TimeSpan ReturnHold = TimeSpan.FromMinutes(1);

    private readonly IJournaledState<FlashSaleState> _sale;
    private readonly SaleLedger _ledger;
    private readonly TimeProvider _clock;
    private readonly FlashSaleOptions _options;
    private readonly string _storeCurrency;
    private readonly ILogger<FlashSaleGrain> _logger;
    private readonly ObserverSet<IFlashSaleObserver> _observers;

    /// <summary>Customers by ticket (index = ticket - 1), rebuilt from the journal on activation.</summary>
    private readonly List<string> _queue = [];
    private readonly Dictionary<string, long> _tickets = new(StringComparer.Ordinal);

    /// <summary>Customers holding live tokens, in the order the tokens expire (the order they were issued).</summary>
    private readonly Queue<string> _liveTokens = new();

    /// <summary>Tokens issued and neither used nor returned to the pool yet (expired tokens count until the next tick returns them).</summary>
    private int _tokensOutstanding;

    /// <summary>Purchases awaiting payment with no checkout under way, by the time they must be paid.</summary>
    private readonly PriorityQueue<string, DateTimeOffset> _unpaid = new();

    private Task _lastWrite = Task.CompletedTask;
    private Task<FlashSaleResult>? _creating;
    private Task? _returning;
    private IGrainTimer? _timer;
    private double _admissionCredit;
    private long _lastAdmissionTimestamp;

    public FlashSaleGrain(
        [JournaledState(StateName)] IJournaledState<FlashSaleState> sale,
        [FromKeyedServices(CommerceGrains.Clock)] TimeProvider clock,
        IOptions<FlashSaleOptions> options,
        IOptions<CheckoutOptions> checkout,
        ILogger<FlashSaleGrain> logger)
    {
        _sale = sale;
        _ledger = new SaleLedger(sale);
        _clock = clock;
        _options = options.Value;
        _storeCurrency = checkout.Value.Currency;
        _logger = logger;
        _observers = new ObserverSet<IFlashSaleObserver>(clock, _options.ObserverLease);
    }

    private FlashSaleState State => _sale.State;

    private string SaleId => this.GetPrimaryKeyString();

    private string AllocationId => $"flash-sale:{SaleId}";

    private string Actor => $"flash-sale:{SaleId}";

    private DateTimeOffset Now => _clock.GetUtcNow();

    private ISkuInventoryGrain Inventory(CreateFlashSale definition) => GrainFactory.GetGrain<ISkuInventoryGrain>(definition.Sku);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await LoadQueue();
        await _ledger.Load();
        foreach (var (customer, _) in _ledger.Admissions.Where(a => a.Value.State == AdmissionState.Active).OrderBy(a => a.Value.ExpiresAt).ThenBy(a => a.Value.Ticket))
        {
            _liveTokens.Enqueue(customer);
            _tokensOutstanding++;
        }
        foreach (var (purchaseId, purchase) in _ledger.Purchases.Where(p => p.Value is { State: PurchaseState.AwaitingPayment, OrderId: null }))
        {
            _unpaid.Enqueue(purchaseId, purchase.PayBy);
        }
        if (State.Definition is not null && !State.UnitsReturned)
        {
            StartTimer();
        }
    }

    private async Task LoadQueue()
    {
        await SaleLedger.ReadAll<QueueJoin>(_sale, SaleLedger.QueueKind, join =>
        {
            _queue.Add(join.CustomerId);
            _tickets[join.CustomerId] = join.Ticket;
        });
        if (_queue.Count != State.Queued)
        {
            throw new InvalidOperationException($"Flash sale '{SaleId}' has {State.Queued} tickets in its state but {_queue.Count} in its queue journal.");
        }
    }

    // ---- Operator actions ----------------------------------------------------------------------

    public async Task<FlashSaleResult> Create(CreateFlashSale definition)
    {
        Validate(definition);
        var normalized = definition with { TokenLifetime = definition.TokenLifetime ?? CreateFlashSale.DefaultTokenLifetime };
        if (State.Definition is { } existing)
        {
            await _lastWrite;
            return normalized with { Actor = existing.Actor } == existing
                ? new FlashSaleResult(FlashSaleError.None, Status())
                : new FlashSaleResult(FlashSaleError.AlreadyExists, Status(), $"Flash sale '{SaleId}' already exists with another definition.");
        }
        if (!string.Equals(definition.Price.Currency, _storeCurrency, StringComparison.Ordinal))
        {
            return new FlashSaleResult(FlashSaleError.CurrencyNotSold, null, $"A sale's price is in the store's currency, {_storeCurrency}: its orders are charged in it.");
        }
        if (_creating is { } inFlight)
        {
            // Reentrancy: a concurrent creation is allocating stock; decide once it is done.
            await inFlight;
            return await Create(definition);
        }
        _creating = CreateNew(normalized);
        try
        {
            return await _creating;
        }
        finally
        {
            _creating = null;
        }
    }

    private async Task<FlashSaleResult> CreateNew(CreateFlashSale definition)
    {
        var allocation = await Inventory(definition).Allocate(new AllocateStock(AllocationId, definition.Units, definition.WarehouseId, definition.Actor));
        if (!allocation.Succeeded)
        {
            var error = allocation.Error switch
            {
                ReservationError.UnknownSku => FlashSaleError.UnknownSku,
                ReservationError.UnknownWarehouse => FlashSaleError.UnknownWarehouse,
                ReservationError.QuantityMismatch => FlashSaleError.AlreadyExists,
                _ => FlashSaleError.InsufficientStock,
            };
            return new FlashSaleResult(error, null, allocation.Message);
        }
        State.Definition = definition;
        State.StartsAt = definition.StartsAt;
        await Write();
        var untilStart = definition.StartsAt - Now;
        await this.RegisterOrUpdateReminder(WakeUpReminder, untilStart > TimeSpan.Zero ? untilStart : TimeSpan.Zero, _options.WakeUpPeriod);
        await GrainFactory.GetGrain<IFlashSaleCatalogGrain>(FlashSaleCatalog.GrainKey).Add(SaleId);
        StartTimer();
        return new FlashSaleResult(FlashSaleError.None, Status());
    }

    private static void Validate(CreateFlashSale definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentException.ThrowIfNullOrWhiteSpace(definition.Sku);
        StorableText.EnsureStorable(definition.Sku, nameof(definition.Sku));
        StorableText.EnsureStorable(definition.WarehouseId, nameof(definition.WarehouseId));
        StorableText.EnsureStorable(definition.Actor, nameof(definition.Actor));
        StorableText.EnsureStorable(definition.Price.Currency, nameof(definition.Price));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(definition.Units);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(definition.PerCustomerLimit);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(definition.AdmissionRatePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(definition.Price.Amount);
        if (definition.EndsAt <= definition.StartsAt)
        {
            throw new ArgumentException("A flash sale must end after it starts.", nameof(definition));
        }
        if (definition.TokenLifetime is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("A purchase token must live for some time.", nameof(definition));
        }
    }

    public async Task<FlashSaleResult> Cancel(string actor)
    {
        if (State.Definition is null)
        {
            return NoSuchSale();
        }
        await Finish(SalePhase.Cancelled);
        await _lastWrite;
        return new FlashSaleResult(FlashSaleError.None, Status());
    }

    public async Task<FlashSaleResult> StartNow(string actor)
    {
        if (State.Definition is null)
        {
            return NoSuchSale();
        }
        var phase = Phase(Now);
        if (phase is SalePhase.Ended or SalePhase.Cancelled)
        {
            return new FlashSaleResult(FlashSaleError.SaleOver, Status(), $"Flash sale '{SaleId}' is over.");
        }
        if (phase == SalePhase.Scheduled)
        {
            State.StartsAt = Now;
            _lastAdmissionTimestamp = Stopwatch.GetTimestamp();
            await Write();
        }
        await _lastWrite;
        return new FlashSaleResult(FlashSaleError.None, Status());
    }

    private FlashSaleResult NoSuchSale() => new(FlashSaleError.NotFound, null, $"There is no flash sale '{SaleId}'.");

    // ---- Customers ---------------------------------------------------------------------------

    public async Task<JoinResult> Join(string customerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        StorableText.EnsureStorable(customerId, nameof(customerId));
        if (State.Definition is null)
        {
            return new JoinResult(FlashSaleError.NotFound, null, $"There is no flash sale '{SaleId}'.");
        }
        if (_tickets.ContainsKey(customerId))
        {
            await _lastWrite;
            return new JoinResult(FlashSaleError.None, StatusOf(customerId));
        }
        var now = Now;
        switch (Phase(now))
        {
            case SalePhase.SoldOut:
                return new JoinResult(FlashSaleError.SoldOut, StatusOf(customerId), "Sold out.");
            case SalePhase.Ended or SalePhase.Cancelled:
                return new JoinResult(FlashSaleError.SaleOver, StatusOf(customerId), $"Flash sale '{SaleId}' is over.");
        }
        var ticket = ++State.Queued;
        _queue.Add(customerId);
        _tickets[customerId] = ticket;
        _sale.AppendToJournal(SaleLedger.QueueKind, new QueueJoin(customerId, ticket, now));
        await Write();
        _observers.Notify(o => o.Joined(SaleId, customerId, ticket));
        return new JoinResult(FlashSaleError.None, StatusOf(customerId));
    }

    public async Task<JoinResult> GetQueueStatus(string customerId)
    {
        if (State.Definition is null)
        {
            return new JoinResult(FlashSaleError.NotFound, null, $"There is no flash sale '{SaleId}'.");
        }
        await _lastWrite;
        return new JoinResult(FlashSaleError.None, StatusOf(customerId));
    }

    public async Task<PurchaseResult> Purchase(PurchaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.CustomerId);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.IdempotencyKey);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Quantity);
        StorableText.EnsureStorable(request.CustomerId, nameof(request.CustomerId));
        StorableText.EnsureStorable(request.IdempotencyKey, nameof(request.IdempotencyKey));
        if (State.Definition is not { } definition)
        {
            return new PurchaseResult(FlashSaleError.NotFound, null, $"There is no flash sale '{SaleId}'.");
        }
        var admission = _ledger.Admissions.GetValueOrDefault(request.CustomerId);
        if (admission is { State: AdmissionState.Used, PurchaseId: { } earlier })
        {
            return await ReplayPurchase(earlier, request);
        }
        var now = Now;
        switch (Phase(now))
        {
            case SalePhase.SoldOut:
                // The fast path: no storage, no allocation, no await.
                return new PurchaseResult(FlashSaleError.SoldOut, null, "Sold out.");
            case SalePhase.Ended or SalePhase.Cancelled:
                return new PurchaseResult(FlashSaleError.SaleOver, null, $"Flash sale '{SaleId}' is over.");
        }
        if (admission is null || admission.State != AdmissionState.Active)
        {
            return admission?.State == AdmissionState.Expired
                ? new PurchaseResult(FlashSaleError.TokenExpired, null, "The purchase token expired; its units went back to the pool.")
                : new PurchaseResult(FlashSaleError.NotAdmitted, null, "This customer has not been admitted from the queue.");
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(admission.Token), Encoding.UTF8.GetBytes(request.Token ?? "")))
        {
            return new PurchaseResult(FlashSaleError.TokenInvalid, null, "The purchase token is not this customer's.");
        }
        if (now >= admission.ExpiresAt)
        {
            return new PurchaseResult(FlashSaleError.TokenExpired, null, "The purchase token expired; its units went back to the pool.");
        }
        if (request.Quantity > admission.Quantity)
        {
            return new PurchaseResult(FlashSaleError.QuantityExceedsAllowance, null, $"This token allows at most {admission.Quantity} unit(s).");
        }
        var purchaseId = "p" + Guid.NewGuid().ToString("N");
        var payBy = now + _options.PayWithin;
        _ledger.Buy(purchaseId, new SalePurchase
        {
            CustomerId = request.CustomerId,
            IdempotencyKey = request.IdempotencyKey,
            Token = admission.Token,
            Quantity = request.Quantity,
            PurchasedAt = now,
            PayBy = payBy,
            State = PurchaseState.AwaitingPayment,
        });
        State.UnitsClaimed -= admission.Quantity;
        _tokensOutstanding--;
        State.UnitsSold += request.Quantity;
        _unpaid.Enqueue(purchaseId, payBy);
        var soldOut = State.UnitsSold == definition.Units;
        // One commit: the unit is the buyer's once the sale's state is stored. It cannot be sold
        // twice, since it stays in the sale's allocation until the buyer's order pays for it.
        await Write();
        if (soldOut)
        {
            _observers.Notify(o => o.SoldOut(SaleId));
        }
        return new PurchaseResult(FlashSaleError.None, PurchaseView(purchaseId));
    }

    /// <summary>The customer already bought: the same request gets the same answer (once committed); another one is refused.</summary>
    private async Task<PurchaseResult> ReplayPurchase(string purchaseId, PurchaseRequest request)
    {
        await _lastWrite;
        var purchase = _ledger.Purchases[purchaseId];
        if (purchase.IdempotencyKey != request.IdempotencyKey)
        {
            return new PurchaseResult(FlashSaleError.NotAdmitted, null, $"This customer already bought in this sale (purchase {purchaseId}); the token is used.");
        }
        return purchase.Token == request.Token && purchase.Quantity == request.Quantity
            ? new PurchaseResult(FlashSaleError.None, PurchaseView(purchaseId), Replayed: true)
            : new PurchaseResult(FlashSaleError.IdempotencyKeyReused, null, "This idempotency key was used for a purchase with another token or quantity.");
    }

    // ---- Paying for a purchase: the order saga's side -------------------------------------------

    public async Task<PurchaseResult> GetPurchase(string customerId, string purchaseId)
    {
        await _lastWrite;
        return Find(customerId, purchaseId) is not null ? new PurchaseResult(FlashSaleError.None, PurchaseView(purchaseId)) : NoSuchPurchase(purchaseId);
    }

    public async Task<PurchaseResult> GetPayablePurchase(string customerId, string purchaseId, string orderId)
    {
        await _lastWrite;
        return CheckoutRefusal(purchaseId, Find(customerId, purchaseId), orderId) ?? new PurchaseResult(FlashSaleError.None, PurchaseView(purchaseId));
    }

    public async Task<PurchaseResult> ClaimForCheckout(string customerId, string purchaseId, string orderId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orderId);
        StorableText.EnsureStorable(orderId, nameof(orderId));
        var purchase = Find(customerId, purchaseId);
        if (CheckoutRefusal(purchaseId, purchase, orderId) is { } refusal)
        {
            return refusal;
        }
        if (purchase!.OrderId is null)
        {
            // From here the purchase waits for this order: it cannot expire under a running saga.
            _ledger.Change(purchaseId, PurchaseState.AwaitingPayment, orderId);
            await Write();
        }
        else
        {
            await _lastWrite;
        }
        return new PurchaseResult(FlashSaleError.None, PurchaseView(purchaseId));
    }

    public async Task<PurchaseResult> CompleteCheckout(string purchaseId, string orderId, string reservationId)
    {
        if (State.Definition is not { } definition || !_ledger.Purchases.TryGetValue(purchaseId, out var purchase))
        {
            return NoSuchPurchase(purchaseId);
        }
        if (purchase.OrderId != orderId)
        {
            return new PurchaseResult(FlashSaleError.CheckoutInProgress, null, $"Purchase {purchaseId} is not being checked out by order {orderId}.");
        }
        if (purchase.State == PurchaseState.Paid)
        {
            await _lastWrite;
            return new PurchaseResult(FlashSaleError.None, PurchaseView(purchaseId));
        }
        // Both steps are idempotent by reservation id, so a saga resumed after a crash repeats them safely.
        var inventory = Inventory(definition);
        var moved = await inventory.ReserveFromAllocation(new ReserveFromAllocation(AllocationId, reservationId, purchase.Quantity, _options.PayWithin, Actor));
        var sold = moved.Succeeded ? await inventory.Confirm(reservationId, orderId, Actor) : moved;
        if (!sold.Succeeded)
        {
            // The claim keeps the units in the allocation, so this is a broken invariant: the saga retries, loudly.
            throw new InvalidOperationException($"Flash sale {SaleId} could not sell purchase {purchaseId} to order {orderId}: {sold.Error} {sold.Message}");
        }
        // A repeat of this call interleaved at the awaits above may have recorded the payment already.
        if (purchase.State == PurchaseState.AwaitingPayment)
        {
            _ledger.Change(purchaseId, PurchaseState.Paid, orderId);
            State.UnitsPaid += purchase.Quantity;
            await Write();
        }
        else
        {
            await _lastWrite;
        }
        return new PurchaseResult(FlashSaleError.None, PurchaseView(purchaseId));
    }

    public async Task ReleaseCheckout(string purchaseId, string orderId)
    {
        if (_ledger.Purchases.GetValueOrDefault(purchaseId) is not { State: PurchaseState.AwaitingPayment } purchase || purchase.OrderId != orderId)
        {
            // Not this order's (any more), or paid: an order cancelled after paying restocks through inventory itself.
            await _lastWrite;
            return;
        }
        if (Now >= purchase.PayBy)
        {
            Expire(purchaseId);
        }
        else
        {
            // The buyer may try again (another card) until the purchase's time is up.
            _ledger.Change(purchaseId, PurchaseState.AwaitingPayment, orderId: null);
            _unpaid.Enqueue(purchaseId, purchase.PayBy);
        }
        await Write();
    }

    /// <summary>Why <paramref name="orderId"/> may not take the purchase for checkout now, or null when it may (or holds it already).</summary>
    private PurchaseResult? CheckoutRefusal(string purchaseId, SalePurchase? purchase, string orderId) => purchase switch
    {
        null => NoSuchPurchase(purchaseId),
        { OrderId: var payer } when payer == orderId => null,
        { State: PurchaseState.Paid } => new PurchaseResult(FlashSaleError.AlreadyPaid, null, $"Purchase {purchaseId} is paid already (order {purchase.OrderId})."),
        { State: PurchaseState.Expired } => Expired(purchaseId),
        { OrderId: not null } => new PurchaseResult(FlashSaleError.CheckoutInProgress, null, $"Purchase {purchaseId} is being checked out already (order {purchase.OrderId})."),
        _ when Now >= purchase.PayBy => Expired(purchaseId),
        _ => null,
    };

    /// <summary>The customer's purchase, or null when the customer has no such purchase.</summary>
    private SalePurchase? Find(string customerId, string purchaseId) =>
        _ledger.Purchases.GetValueOrDefault(purchaseId) is { } purchase && purchase.CustomerId == customerId ? purchase : null;

    private static PurchaseResult NoSuchPurchase(string purchaseId) => new(FlashSaleError.NotFound, null, $"There is no purchase '{purchaseId}' of yours in this sale.");

    private static PurchaseResult Expired(string purchaseId) =>
        new(FlashSaleError.PurchaseExpired, null, $"Purchase {purchaseId} was not paid in time; its units went back to the sale.");

    /// <summary>Returns unpaid purchases whose time is up to the pool (none with a checkout under way).</summary>
    private bool ExpireUnpaidPurchases(DateTimeOffset now)
    {
        var any = false;
        while (_unpaid.TryPeek(out var purchaseId, out var payBy) && payBy <= now)
        {
            _unpaid.Dequeue();
            if (_ledger.Purchases[purchaseId] is { State: PurchaseState.AwaitingPayment, OrderId: null })
            {
                Expire(purchaseId);
                any = true;
            }
        }
        return any;
    }

    /// <summary>The units go back to the pool: a live sale admits the next buyer for them; an ended one returns them to inventory.</summary>
    private void Expire(string purchaseId)
    {
        _ledger.Change(purchaseId, PurchaseState.Expired, orderId: null);
        var quantity = _ledger.Purchases[purchaseId].Quantity;
        State.UnitsSold -= quantity;
        State.UnitsExpired += quantity;
    }

    // ---- Admission, expiry and the end ---------------------------------------------------------

    private void StartTimer()
    {
        if (_timer is not null)
        {
            return;
        }
        _lastAdmissionTimestamp = Stopwatch.GetTimestamp();
        // KeepAlive: a running sale stays active, so its queue keeps moving with nobody calling.
        _timer = this.RegisterGrainTimer(_ => Tick(), new GrainTimerCreationOptions(_options.TickInterval, _options.TickInterval) { KeepAlive = true, Interleave = true });
    }

    private async Task Tick()
    {
        if (State.Definition is not { } definition)
        {
            return;
        }
        var now = Now;
        if (State.Outcome is null && now >= definition.EndsAt)
        {
            await Finish(SalePhase.Ended);
            return;
        }
        var purchasesExpired = ExpireUnpaidPurchases(now);
        if (State.Outcome is not null)
        {
            // Over: admissions stopped, but purchases made before the end may still be paid for.
            if (purchasesExpired)
            {
                await Write();
            }
            await ReturnUnsoldUnits();
            return;
        }
        var tokensExpired = ExpireTokens(now);
        var admitted = now >= State.StartsAt ? Admit(definition, now) : [];
        if (!purchasesExpired && !tokensExpired && admitted.Count == 0)
        {
            return;
        }
        var admittedThrough = State.AdmittedThrough;
        await Write();
        if (admitted.Count > 0)
        {
            _observers.Notify(o => o.QueueAdvanced(SaleId, admittedThrough));
            foreach (var (customer, token) in admitted)
            {
                _observers.Notify(o => o.Admitted(SaleId, customer, token));
            }
        }
    }

    /// <summary>Admits waiting customers in ticket order at the sale's rate, while the pool has unclaimed units.</summary>
    private List<(string Customer, PurchaseToken Token)> Admit(CreateFlashSale definition, DateTimeOffset now)
    {
        var elapsed = Stopwatch.GetElapsedTime(_lastAdmissionTimestamp).TotalSeconds;
        _lastAdmissionTimestamp = Stopwatch.GetTimestamp();
        // Credit for at most one second: an idle queue does not save up a burst.
        _admissionCredit = Math.Min(_admissionCredit + definition.AdmissionRatePerSecond * elapsed, definition.AdmissionRatePerSecond);
        var admitted = new List<(string, PurchaseToken)>();
        while (_admissionCredit >= 1 && State.AdmittedThrough < State.Queued)
        {
            var unclaimed = definition.Units - State.UnitsSold - State.UnitsClaimed;
            if (unclaimed <= 0)
            {
                break;
            }
            var customer = _queue[(int)State.AdmittedThrough];
            State.AdmittedThrough++;
            var lifetime = definition.TokenLifetime ?? CreateFlashSale.DefaultTokenLifetime;
            var admission = new Admission
            {
                Ticket = State.AdmittedThrough,
                Token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24)),
                Quantity = Math.Min(definition.PerCustomerLimit, unclaimed),
                ExpiresAt = now + lifetime < definition.EndsAt ? now + lifetime : definition.EndsAt,
                State = AdmissionState.Active,
            };
            _ledger.Admit(customer, admission);
            State.UnitsClaimed += admission.Quantity;
            _liveTokens.Enqueue(customer);
            _tokensOutstanding++;
            admitted.Add((customer, TokenOf(admission)));
            _admissionCredit--;
        }
        return admitted;
    }

    /// <summary>Returns the claims of tokens whose time is up to the pool.</summary>
    private bool ExpireTokens(DateTimeOffset now)
    {
        var any = false;
        while (_liveTokens.TryPeek(out var customer))
        {
            var admission = _ledger.Admissions[customer];
            if (admission.State == AdmissionState.Active)
            {
                if (admission.ExpiresAt > now)
                {
                    break;
                }
                _ledger.EndAdmission(customer, AdmissionState.Expired);
                State.UnitsClaimed -= admission.Quantity;
                _tokensOutstanding--;
                any = true;
            }
            _liveTokens.Dequeue();
        }
        return any;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != WakeUpReminder || State.Definition is not { } definition)
        {
            return;
        }
        if (State.Outcome is null && Now >= definition.EndsAt)
        {
            await Finish(SalePhase.Ended);
        }
        else if (State.Outcome is not null)
        {
            await ReturnUnsoldUnits();
        }
        // Activating was the point: the timer runs again after a restart, until the units are back.
        if (!State.UnitsReturned)
        {
            StartTimer();
        }
    }

    private async Task Finish(SalePhase outcome)
    {
        if (State.Outcome is not null)
        {
            await ReturnUnsoldUnits();
            return;
        }
        State.Outcome = outcome;
        foreach (var customer in _ledger.Admissions.Where(a => a.Value.State == AdmissionState.Active).Select(a => a.Key).ToList())
        {
            _ledger.EndAdmission(customer, AdmissionState.Void);
        }
        State.UnitsClaimed = 0;
        _liveTokens.Clear();
        _tokensOutstanding = 0;
        await Write();
        _observers.Notify(o => o.Ended(SaleId, outcome));
        await ReturnUnsoldUnits();
    }

    /// <summary>
    /// Gives the units nobody bought back to the SKU: at once those not promised to a purchase, and
    /// the rest (the allocation itself) once every purchase is paid or expired. Retried by the timer
    /// and the wake-up reminder until done; one attempt at a time.
    /// </summary>
    private Task ReturnUnsoldUnits() => _returning is { IsCompleted: false } running ? running : _returning = ReturnUnsoldUnitsOnce();

    private async Task ReturnUnsoldUnitsOnce()
    {
        if (State.UnitsReturned || State.Definition is not { } definition)
        {
            return;
        }
        var unsold = definition.Units - State.UnitsSold;
        var awaitingPayment = State.UnitsSold - State.UnitsPaid;
        if (awaitingPayment > 0 && unsold == State.UnitsReturnedCount)
        {
            return;
        }
        var inventory = Inventory(definition);
        if (awaitingPayment == 0)
        {
            var released = await inventory.Release(AllocationId, Actor);
            if (!released.Succeeded)
            {
                _logger.LogError("Flash sale {SaleId} could not return its unsold units: {Error} {Message}", SaleId, released.Error, released.Message);
                return;
            }
            State.UnitsReturned = true;
        }
        else if (!await ReturnPartOfAllocation(inventory, awaitingPayment))
        {
            return;
        }
        State.UnitsReturnedCount = unsold;
        await Write();
        if (State.UnitsReturned)
        {
            _timer?.Dispose();
            _timer = null;
            await this.UnregisterReminder(WakeUpReminder);
        }
    }

    /// <summary>
    /// Inventory releases an allocation only whole, so the part not promised to purchases leaves it
    /// through a hold released at once (idempotent by an id made of the allocation's size, which only
    /// shrinks; after a crash in between, the hold expires into available stock all the same).
    /// </summary>
    private async Task<bool> ReturnPartOfAllocation(ISkuInventoryGrain inventory, int awaitingPayment)
    {
        if (await inventory.GetReservation(AllocationId) is not { State: ReservationState.Held } allocation || allocation.Quantity <= awaitingPayment)
        {
            return false;
        }
        var returnId = $"{AllocationId}:return:{allocation.Quantity}";
        var moved = await inventory.ReserveFromAllocation(new ReserveFromAllocation(AllocationId, returnId, allocation.Quantity - awaitingPayment, ReturnHold, Actor));
        var released = moved.Succeeded ? await inventory.Release(returnId, Actor) : moved;
        if (!released.Succeeded)
        {
            _logger.LogError("Flash sale {SaleId} could not return unsold units: {Error} {Message}", SaleId, released.Error, released.Message);
        }
        return released.Succeeded;
    }

    // ---- Views ---------------------------------------------------------------------------------

    public async Task<FlashSaleStatus?> GetStatus()
    {
        await _lastWrite;
        return State.Definition is null ? null : Status();
    }

    private SalePhase Phase(DateTimeOffset now)
    {
        var definition = State.Definition!;
        return State.Outcome
            ?? (State.UnitsSold >= definition.Units ? SalePhase.SoldOut
            : now >= definition.EndsAt ? SalePhase.Ended
            : now < State.StartsAt ? SalePhase.Scheduled
            : SalePhase.Live);
    }

    private FlashSaleStatus Status()
    {
        var definition = State.Definition!;
        return new FlashSaleStatus(SaleId, definition.Sku, definition.Price, State.StartsAt, definition.EndsAt, Phase(Now), definition.Units,
            State.UnitsSold, definition.PerCustomerLimit, definition.AdmissionRatePerSecond, definition.TokenLifetime ?? CreateFlashSale.DefaultTokenLifetime,
            State.Queued, State.Queued - State.AdmittedThrough, _tokensOutstanding, State.UnitsReturnedCount,
            State.UnitsPaid, State.UnitsSold - State.UnitsPaid, State.UnitsExpired);
    }

    private QueueStatus StatusOf(string customerId)
    {
        if (!_tickets.TryGetValue(customerId, out var ticket))
        {
            return new QueueStatus(SaleId, customerId, QueueEntryState.NotQueued, null, null, null, null);
        }
        var now = Now;
        if (_ledger.Admissions.TryGetValue(customerId, out var admission))
        {
            if (admission is { State: AdmissionState.Used, PurchaseId: { } purchaseId })
            {
                var purchase = _ledger.Purchases[purchaseId];
                var bought = purchase.State switch
                {
                    PurchaseState.AwaitingPayment => QueueEntryState.Purchased,
                    PurchaseState.Paid => QueueEntryState.Paid,
                    _ => QueueEntryState.Expired,
                };
                return new QueueStatus(SaleId, customerId, bought, ticket, null, null, purchaseId,
                    bought == QueueEntryState.Purchased ? purchase.PayBy : null, bought == QueueEntryState.Paid ? purchase.OrderId : null);
            }
            var state = admission.State switch
            {
                AdmissionState.Active when now < admission.ExpiresAt => QueueEntryState.Admitted,
                AdmissionState.Active or AdmissionState.Expired => QueueEntryState.TokenExpired,
                _ => QueueEntryState.SaleOver,
            };
            return new QueueStatus(SaleId, customerId, state, ticket, null, state == QueueEntryState.Admitted ? TokenOf(admission) : null, null);
        }
        return Phase(now) switch
        {
            // While purchases await payment a unit may come back: the customer keeps the place.
            SalePhase.SoldOut => new QueueStatus(SaleId, customerId, QueueEntryState.SoldOut, ticket,
                State.UnitsSold > State.UnitsPaid ? ticket - State.AdmittedThrough : null, null, null),
            SalePhase.Ended or SalePhase.Cancelled => new QueueStatus(SaleId, customerId, QueueEntryState.SaleOver, ticket, null, null, null),
            _ => new QueueStatus(SaleId, customerId, QueueEntryState.Waiting, ticket, ticket - State.AdmittedThrough, null, null),
        };
    }

    private static PurchaseToken TokenOf(Admission admission) => new(admission.Token, admission.ExpiresAt, admission.Quantity);

    private FlashSalePurchase PurchaseView(string purchaseId)
    {
        var definition = State.Definition!;
        var purchase = _ledger.Purchases[purchaseId];
        return new FlashSalePurchase(purchaseId, SaleId, purchase.CustomerId, definition.Sku, purchase.Quantity, definition.Price,
            definition.Price.Times(purchase.Quantity), purchase.PurchasedAt, purchase.PayBy, purchase.State, purchase.OrderId);
    }

    // ---- Observers and writes ------------------------------------------------------------------

    public Task Subscribe(IFlashSaleObserver observer)
    {
        _observers.Subscribe(observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IFlashSaleObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private Task Write()
    {
        _lastWrite = _sale.WriteStateAsync();
        return _lastWrite;
    }
}
