using Commerce.Catalog;
using Commerce.Grains.CatalogChanges;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Grains.Inventory;

/// <summary>
/// One SKU's stock. Reentrant so that concurrent calls share group commits: every method checks and
/// changes memory synchronously at the start of its turn, appends the ledger entries, and only then
/// awaits the write, so interleaved turns never see a half-done change and nobody is answered before
/// the commit that covers their change (<see cref="IJournaledState{TState}"/>). A failed write
/// discards the activation; the next call reloads what was committed. Holds expire on a grain timer
/// due at the earliest expiry (and lazily on every call); a periodic reminder, registered while any
/// hold exists, only wakes the grain after a restart or a collection so that expiry never waits for
/// a caller. Committed availability goes to the search index through a <see cref="StockLevelPublisher"/>,
/// which never holds up or fails a reservation.
/// </summary>
[Reentrant]
[GrainType("SkuInventory")]
internal sealed class SkuInventoryGrain : Grain, ISkuInventoryGrain, IRemindable
{
    public const string StateName = "inventory";
    public const string LedgerKind = "ledger";

    private const int LedgerPageSize = 1_000;
    private const string HoldExpiryReminder = "hold-expiry";

    private readonly IJournaledState<SkuInventoryState> _inventory;
    private readonly CatalogStore _catalog;
    private readonly TimeProvider _clock;
    private readonly InventoryOptions _options;
    private readonly ILogger<SkuInventoryGrain> _logger;
    private readonly ObserverSet<IInventoryObserver> _observers;
    private readonly StockLevelPublisher _stockFeed;

    /// <summary>
    /// Live expiring holds by id. Not in the state document: the ledger entry that placed each one says
    /// what it holds until when, and activation rebuilds them from the ledger (<see cref="LoadHolds"/>).
    /// </summary>
    private readonly Dictionary<string, StockHold> _holds = new(StringComparer.Ordinal);

    /// <summary>Holds and allocations that ended within the idempotency window, so that retries get the first answer; rebuilt from their ending ledger entries.</summary>
    private readonly Dictionary<string, FinishedHold> _finished = new(StringComparer.Ordinal);

    /// <summary>The catalog listed this SKU when this activation asked (<see cref="IsInCatalog"/>); SKUs are never deleted from it.</summary>
    private bool _inCatalog;

    /// <summary>The newest write requested: once it completes, everything now in memory is committed.</summary>
    private Task _lastWrite = Task.CompletedTask;

    /// <summary>The earliest expiry among holds, to skip the scan when nothing can be due.</summary>
    private DateTimeOffset? _nextExpiry;

    /// <summary>Fires at <see cref="_nextExpiry"/>; null while no hold can expire.</summary>
    private IGrainTimer? _expiryTimer;
    private DateTimeOffset? _expiryTimerDueAt;

    /// <summary>The registration of the backstop reminder, while holds exist (null: not registered by this activation).</summary>
    private Task? _backstop;
    private DateTimeOffset _lastPruned;

    public SkuInventoryGrain(
        [JournaledState(StateName)] IJournaledState<SkuInventoryState> inventory,
        CatalogStore catalog,
        [FromKeyedServices(CommerceGrains.Clock)] TimeProvider clock,
        IOptions<InventoryOptions> options,
        ICatalogChangeFeed changes,
        ILogger<SkuInventoryGrain> logger)
    {
        _inventory = inventory;
        _catalog = catalog;
        _logger = logger;
        _clock = clock;
        _options = options.Value;
        _observers = new ObserverSet<IInventoryObserver>(clock, _options.ObserverLease);
        _stockFeed = new StockLevelPublisher(this, changes, _options.StockPublishInterval, logger);
    }

    private SkuInventoryState State => _inventory.State;

    private string Sku => this.GetPrimaryKeyString();

    private DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>Available units across warehouses: a loop, not LINQ — it runs twice per reservation on the hot SKU's single thread.</summary>
    private int Available
    {
        get
        {
            var available = 0;
            foreach (var counts in State.Warehouses.Values)
            {
                available += counts.OnHand - counts.Reserved;
            }
            return available;
        }
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _lastPruned = Now;
        await LoadHolds();
        _nextExpiry = EarliestExpiry();
        // A crash between a committed hold and its reminder registration leaves the hold without
        // a backstop: make sure one is registered while holds exist.
        if (_nextExpiry is not null)
        {
            ScheduleExpiry();
            await EnsureBackstop();
        }
        // A level left pending by a silo that died is published again by the next activation.
        if (State.Known)
        {
            _stockFeed.Changed(Available);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _stockFeed.FlushAsync();

    /// <summary>
    /// Rebuilds the live holds and the finished holds of the idempotency window from the ledger entries
    /// after the watermark, in commit order: an entry with a hold quantity and expiry placed a hold; a
    /// confirmation, release or expiry ended one. Then advances the watermark to just before the oldest
    /// entry that still matters (the placement of a live hold, or an ending within the window), so the
    /// next activation reads less.
    /// </summary>
    private async Task LoadHolds()
    {
        var horizon = Now - _options.IdempotencyWindow;
        // Sequence of the entry each in-memory hold comes from.
        var placedAt = new Dictionary<string, long>(StringComparer.Ordinal);
        var endedAt = new Dictionary<string, long>(StringComparer.Ordinal);
        var last = State.HoldJournalWatermark;
        foreach (var record in await ReadLedgerAfterWatermark())
        {
            last = record.Sequence;
            var entry = StateJson.Deserialize<LedgerEntry>(record.Json);
            if (entry.ReservationId is not { } id || entry.WarehouseId is not { } warehouse)
            {
                continue;
            }
            if (entry is { HoldQuantity: { } quantity, HoldExpiresAt: { } expiresAt })
            {
                // An id may be reused once its first use left the idempotency window.
                _finished.Remove(id);
                endedAt.Remove(id);
                _holds[id] = new StockHold(warehouse, quantity, expiresAt, entry.At);
                placedAt[id] = record.Sequence;
            }
            else if (EndingOf(entry.Kind) is { } ending)
            {
                _holds.Remove(id);
                placedAt.Remove(id);
                if (entry.At >= horizon)
                {
                    _finished[id] = new FinishedHold(warehouse, -entry.ReservedDelta, ending, entry.At);
                    endedAt[id] = record.Sequence;
                }
                else
                {
                    _finished.Remove(id);
                    endedAt.Remove(id);
                }
            }
        }

        var stillNeeded = placedAt.Values.Concat(endedAt.Values).DefaultIfEmpty(last + 1).Min();
        var watermark = Math.Max(State.HoldJournalWatermark, stillNeeded - 1);
        if (watermark != State.HoldJournalWatermark && _inventory.RecordExists)
        {
            State.HoldJournalWatermark = watermark;
            _lastWrite = _inventory.WriteStateAsync();
            await _lastWrite;
        }
    }

    private static ReservationState? EndingOf(StockChangeKind kind) => kind switch
    {
        StockChangeKind.Confirmed => ReservationState.Confirmed,
        StockChangeKind.Released => ReservationState.Released,
        StockChangeKind.Expired => ReservationState.Expired,
        _ => null,
    };

    private async Task<List<StoredJournalRecord>> ReadLedgerAfterWatermark()
    {
        var records = new List<StoredJournalRecord>();
        var after = State.HoldJournalWatermark;
        while (true)
        {
            var page = await _inventory.ReadJournalAsync(LedgerKind, after, LedgerPageSize);
            records.AddRange(page);
            if (page.Count < LedgerPageSize)
            {
                return records;
            }
            after = page[^1].Sequence;
        }
    }

    // ---- Reservations ------------------------------------------------------------------------

    public Task<ReservationResult> Reserve(ReserveStock request)
    {
        ArgumentNullException.ThrowIfNull(request);
        StorableText.EnsureStorable(request.PreferredWarehouse, nameof(request.PreferredWarehouse));
        var holdFor = request.HoldFor ?? _options.DefaultHoldFor;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(holdFor, TimeSpan.Zero, nameof(request.HoldFor));
        return PlaceHold(request.ReservationId, request.Quantity, Now + holdFor, request.PreferredWarehouse, request.Actor, StockChangeKind.Reserved);
    }

    public Task<ReservationResult> Allocate(AllocateStock request)
    {
        ArgumentNullException.ThrowIfNull(request);
        StorableText.EnsureStorable(request.PreferredWarehouse, nameof(request.PreferredWarehouse));
        return PlaceHold(request.AllocationId, request.Quantity, expiresAt: null, request.PreferredWarehouse, request.Actor, StockChangeKind.Allocated);
    }

    private async Task<ReservationResult> PlaceHold(string id, int quantity, DateTimeOffset? expiresAt, string? preferredWarehouse, string actor, StockChangeKind kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantity);
        StorableText.EnsureStorable(id, nameof(id));
        StorableText.EnsureStorable(actor, nameof(actor));
        if (!await IsInCatalog())
        {
            return ReservationResult.Fail(ReservationError.UnknownSku, NotInCatalog);
        }
        ExpireDueHolds();
        if (FindExisting(id) is { } existing)
        {
            return await Replay(existing, quantity);
        }
        if (preferredWarehouse is not null && !State.Warehouses.ContainsKey(preferredWarehouse))
        {
            // Asked for by name (a flash sale's warehouse): another warehouse would not be what was asked for.
            return ReservationResult.Fail(ReservationError.UnknownWarehouse, UnknownWarehouseMessage(preferredWarehouse));
        }
        // An allocation (a flash sale's pool) sets real units aside: backorders never stand in for them.
        var warehouse = PickWarehouse(quantity, preferredWarehouse, allowBackorder: kind != StockChangeKind.Allocated && State.BackorderAllowed);
        if (warehouse is null)
        {
            var most = State.Warehouses.Count == 0 ? 0 : State.Warehouses.Values.Max(w => w.OnHand - w.Reserved);
            return ReservationResult.Fail(ReservationError.InsufficientStock,
                $"No single warehouse has {quantity} available unit(s) of '{Sku}' (the most in one is {Math.Max(0, most)}); reservations are never split.");
        }
        var levelBefore = Level();
        var hold = new StockHold(warehouse, quantity, expiresAt, Now);
        Apply(kind, warehouse, onHandDelta: 0, reservedDelta: quantity, actor, reservationId: id, placedHold: expiresAt is null ? null : hold);
        if (expiresAt is not { } due)
        {
            State.Allocations[id] = hold;
        }
        else
        {
            _holds[id] = hold;
            HoldPlaced(due);
        }
        await CommitAndNotify(levelBefore, kind);
        return ReservationResult.Ok(hold.ToReservation(id));
    }

    public async Task<ReservationResult> ReserveFromAllocation(ReserveFromAllocation request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ReservationId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Quantity);
        StorableText.EnsureStorable(request.ReservationId, nameof(request.ReservationId));
        StorableText.EnsureStorable(request.Actor, nameof(request.Actor));
        ExpireDueHolds();
        if (FindExisting(request.ReservationId) is { } existing)
        {
            return await Replay(existing, request.Quantity);
        }
        if (!State.Allocations.TryGetValue(request.AllocationId, out var allocation))
        {
            return ReservationResult.Fail(ReservationError.NotFound, $"'{Sku}' has no allocation '{request.AllocationId}'.");
        }
        if (allocation.Quantity < request.Quantity)
        {
            return ReservationResult.Fail(ReservationError.InsufficientStock,
                $"Allocation '{request.AllocationId}' has {allocation.Quantity} unit(s) left, not {request.Quantity}.");
        }
        var expiresAt = Now + (request.HoldFor ?? _options.DefaultHoldFor);
        State.Allocations[request.AllocationId] = allocation with { Quantity = allocation.Quantity - request.Quantity };
        var hold = new StockHold(allocation.WarehouseId, request.Quantity, expiresAt, Now);
        _holds[request.ReservationId] = hold;
        // Reserved stock does not change: units move from one hold to another.
        Apply(StockChangeKind.ReservedFromAllocation, allocation.WarehouseId, 0, 0, request.Actor,
            reason: $"from allocation {request.AllocationId}", reservationId: request.ReservationId, placedHold: hold);
        HoldPlaced(expiresAt);
        await Write();
        return ReservationResult.Ok(hold.ToReservation(request.ReservationId));
    }

    public Task<ReservationResult> Confirm(string reservationId, string? orderId, string actor) =>
        EndHold(reservationId, ReservationState.Confirmed, actor, orderId);

    public Task<ReservationResult> Release(string reservationId, string actor) =>
        EndHold(reservationId, ReservationState.Released, actor, orderId: null);

    /// <summary>
    /// Confirms a hold (a sale: on-hand and reserved stock go down) or releases it (reserved goes
    /// down). Repeating the same ending succeeds again; the other ending is refused.
    /// </summary>
    private async Task<ReservationResult> EndHold(string reservationId, ReservationState ending, string actor, string? orderId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reservationId);
        StorableText.EnsureStorable(actor, nameof(actor));
        StorableText.EnsureStorable(orderId, nameof(orderId));
        ExpireDueHolds();
        var confirming = ending == ReservationState.Confirmed;
        if (TryGetLive(reservationId, out var hold))
        {
            var levelBefore = Level();
            var kind = confirming ? StockChangeKind.Confirmed : StockChangeKind.Released;
            Apply(kind, hold.WarehouseId, confirming ? -hold.Quantity : 0, -hold.Quantity, actor, reservationId: reservationId, orderId: orderId);
            var finished = Finish(reservationId, hold, ending);
            await CommitAndNotify(levelBefore, kind);
            return ReservationResult.Ok(finished.ToReservation(reservationId));
        }
        if (!_finished.TryGetValue(reservationId, out var done))
        {
            return ReservationResult.Fail(ReservationError.NotFound, $"'{Sku}' has no reservation '{reservationId}'.");
        }
        await _lastWrite;
        var view = done.ToReservation(reservationId);
        // For a release, expired is as good as released; a confirmation is its own ending.
        if (confirming == (done.State == ReservationState.Confirmed))
        {
            return ReservationResult.Ok(view);
        }
        return confirming
            ? ReservationResult.Fail(ReservationError.AlreadyEnded, $"Reservation '{reservationId}' was {done.State.ToString().ToLowerInvariant()}; it cannot be confirmed.", view)
            : ReservationResult.Fail(ReservationError.AlreadyConfirmed, $"Reservation '{reservationId}' was confirmed; it cannot be released.", view);
    }

    /// <summary>A live or finished hold with this id, as the reservation it is.</summary>
    private Reservation? FindExisting(string id) =>
        TryGetLive(id, out var hold) ? hold.ToReservation(id)
        : _finished.TryGetValue(id, out var done) ? done.ToReservation(id)
        : null;

    /// <summary>A live expiring hold or allocation with this id.</summary>
    private bool TryGetLive(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StockHold? hold) =>
        _holds.TryGetValue(id, out hold) || State.Allocations.TryGetValue(id, out hold);

    /// <summary>A retry gets the first answer, once what produced it is committed.</summary>
    private async Task<ReservationResult> Replay(Reservation existing, int quantity)
    {
        await _lastWrite;
        return existing.Quantity == quantity
            ? ReservationResult.Ok(existing)
            : ReservationResult.Fail(ReservationError.QuantityMismatch,
                $"Reservation '{existing.ReservationId}' exists for {existing.Quantity} unit(s), not {quantity}.", existing);
    }

    private FinishedHold Finish(string id, StockHold hold, ReservationState state)
    {
        if (hold.ExpiresAt is null)
        {
            State.Allocations.Remove(id);
        }
        else
        {
            _holds.Remove(id);
        }
        // Journaled by the ledger entry of the ending, which the caller appends.
        var finished = new FinishedHold(hold.WarehouseId, hold.Quantity, state, Now);
        _finished[id] = finished;
        return finished;
    }

    /// <summary>The preferred warehouse if it has enough, else the first in priority order that has; with backorders, the first candidate anyway.</summary>
    private string? PickWarehouse(int quantity, string? preferred, bool allowBackorder)
    {
        string? first = null;
        foreach (var candidate in WarehouseOrder(preferred))
        {
            first ??= candidate;
            var counts = State.Warehouses[candidate];
            if (counts.OnHand - counts.Reserved >= quantity)
            {
                return candidate;
            }
        }
        return allowBackorder ? first : null;
    }

    private IEnumerable<string> WarehouseOrder(string? preferred)
    {
        if (preferred is not null && State.Warehouses.ContainsKey(preferred))
        {
            yield return preferred;
        }
        foreach (var id in State.WarehousePriority)
        {
            if (id != preferred && State.Warehouses.ContainsKey(id))
            {
                yield return id;
            }
        }
        foreach (var id in State.Warehouses.Keys.Order(StringComparer.Ordinal))
        {
            if (id != preferred && !State.WarehousePriority.Contains(id))
            {
                yield return id;
            }
        }
    }

    // ---- Hold expiry -------------------------------------------------------------------------

    /// <summary>
    /// A new expiring hold: the timer fires no later than its expiry, and the backstop reminder is
    /// registered — without the caller waiting for it. The hold is durable once its ledger entry
    /// commits; should the silo die before the reminder is written, the hold still expires the first
    /// time anything touches the SKU (an availability read, a reservation), whose activation
    /// registers the backstop again.
    /// </summary>
    private void HoldPlaced(DateTimeOffset expiresAt)
    {
        if (_nextExpiry is not { } next || expiresAt < next)
        {
            _nextExpiry = expiresAt;
            ScheduleExpiry();
        }
        _ = EnsureBackstop();
    }

    /// <summary>Points the expiry timer at <see cref="_nextExpiry"/> (the persisted expiries are the truth; the timer only says when to look).</summary>
    private void ScheduleExpiry()
    {
        if (_nextExpiry is not { } due || due == _expiryTimerDueAt)
        {
            return;
        }
        _expiryTimerDueAt = due;
        var delay = due - Now;
        delay = delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        if (_expiryTimer is null)
        {
            _expiryTimer = this.RegisterGrainTimer(_ => OnExpiryDue(), new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { Interleave = true });
        }
        else
        {
            _expiryTimer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task OnExpiryDue()
    {
        _expiryTimerDueAt = null;
        var levelBefore = Level();
        if (ExpireDueHolds())
        {
            await CommitAndNotify(levelBefore, StockChangeKind.Expired);
        }
        ScheduleExpiry();
    }

    /// <summary>
    /// The backstop reminder: activating the grain after a restart or a collection was the point (its
    /// activation schedules expiry). Once no hold is left, the reminder goes.
    /// </summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != HoldExpiryReminder)
        {
            return;
        }
        await OnExpiryDue();
        if (_holds.Count > 0)
        {
            return;
        }
        _backstop = null;
        await this.UnregisterReminder(HoldExpiryReminder);
        // A hold placed while the reminder was being removed registers it again.
        if (_holds.Count > 0)
        {
            await EnsureBackstop();
        }
    }

    /// <summary>Registers the backstop once per activation (again after a failed attempt, which is logged).</summary>
    private Task EnsureBackstop()
    {
        if (_backstop is { IsFaulted: false })
        {
            return _backstop;
        }
        var period = _options.ExpiryBackstopPeriod;
        _backstop = RegisterBackstop(period);
        return _backstop;
    }

    private async Task RegisterBackstop(TimeSpan period)
    {
        try
        {
            await this.RegisterOrUpdateReminder(HoldExpiryReminder, period, period);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "SKU {Sku} could not register its hold-expiry reminder; the next hold tries again", Sku);
            throw;
        }
    }

    /// <summary>Returns the stock of every hold whose time is up. Also called lazily by every change, so availability never waits for the timer.</summary>
    private bool ExpireDueHolds()
    {
        var now = Now;
        if (_nextExpiry is not { } next || next > now)
        {
            return false;
        }
        foreach (var (id, hold) in _holds.Where(h => h.Value.ExpiresAt <= now).ToList())
        {
            Apply(StockChangeKind.Expired, hold.WarehouseId, 0, -hold.Quantity, "system", reason: "hold time ran out", reservationId: id);
            Finish(id, hold, ReservationState.Expired);
        }
        _nextExpiry = EarliestExpiry();
        return true;
    }

    private DateTimeOffset? EarliestExpiry() => _holds.Values.Min(h => h.ExpiresAt);

    // ---- Operator actions ----------------------------------------------------------------------

    public async Task<StockChangeResult> Receive(ReceiveStock request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.WarehouseId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.Quantity);
        StorableText.EnsureStorable(request.WarehouseId, nameof(request.WarehouseId));
        StorableText.EnsureStorable(request.Note, nameof(request.Note));
        StorableText.EnsureStorable(request.Actor, nameof(request.Actor));
        StorableText.EnsureStorable(request.OperationId, nameof(request.OperationId));
        if (!await IsInCatalog())
        {
            return UnknownSku();
        }
        ExpireDueHolds();
        if (await ReplayOperation(request.OperationId, $"receive|{request.WarehouseId}|{request.Quantity}") is { } replayed)
        {
            return replayed;
        }
        var levelBefore = Level();
        State.Known = true;
        if (!State.Warehouses.ContainsKey(request.WarehouseId))
        {
            State.Warehouses[request.WarehouseId] = new WarehouseCounts();
            if (!State.WarehousePriority.Contains(request.WarehouseId))
            {
                State.WarehousePriority.Add(request.WarehouseId);
            }
        }
        Apply(StockChangeKind.Received, request.WarehouseId, request.Quantity, 0, request.Actor, reason: request.Note);
        RememberOperation(request.OperationId, $"receive|{request.WarehouseId}|{request.Quantity}");
        await CommitAndNotify(levelBefore, StockChangeKind.Received);
        return new StockChangeResult(StockChangeError.None, Snapshot());
    }

    public async Task<StockChangeResult> Adjust(AdjustStock request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.WarehouseId);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Reason);
        if (request.Delta == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "An adjustment changes stock: its delta cannot be zero.");
        }
        StorableText.EnsureStorable(request.WarehouseId, nameof(request.WarehouseId));
        StorableText.EnsureStorable(request.Reason, nameof(request.Reason));
        StorableText.EnsureStorable(request.Actor, nameof(request.Actor));
        StorableText.EnsureStorable(request.OperationId, nameof(request.OperationId));
        if (!await IsInCatalog())
        {
            return UnknownSku();
        }
        ExpireDueHolds();
        var fingerprint = $"adjust|{request.WarehouseId}|{request.Delta}|{request.Reason}";
        if (await ReplayOperation(request.OperationId, fingerprint) is { } replayed)
        {
            return replayed;
        }
        if (!State.Warehouses.TryGetValue(request.WarehouseId, out var counts))
        {
            return new StockChangeResult(StockChangeError.UnknownWarehouse, StockOrNull(), UnknownWarehouseMessage(request.WarehouseId), Field: "warehouseId");
        }
        var onHand = counts.OnHand + request.Delta;
        if (onHand < 0 || request.Delta < 0 && !State.BackorderAllowed && onHand < counts.Reserved)
        {
            return new StockChangeResult(StockChangeError.InsufficientStock, Snapshot(),
                $"Warehouse '{request.WarehouseId}' has {counts.OnHand} on hand and {counts.Reserved} reserved; removing {-request.Delta} would leave {(onHand < 0 ? "negative stock" : "less than is reserved")}.");
        }
        var levelBefore = Level();
        Apply(StockChangeKind.Adjusted, request.WarehouseId, request.Delta, 0, request.Actor, reason: request.Reason);
        RememberOperation(request.OperationId, fingerprint);
        await CommitAndNotify(levelBefore, StockChangeKind.Adjusted);
        return new StockChangeResult(StockChangeError.None, Snapshot());
    }

    public async Task<StockChangeResult> Configure(ConfigureStock request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(request.LowStockThreshold);
        StorableText.EnsureStorable(request.Actor, nameof(request.Actor));
        foreach (var warehouse in request.WarehousePriority ?? [])
        {
            StorableText.EnsureStorable(warehouse, nameof(request.WarehousePriority));
        }
        if (!await IsInCatalog())
        {
            return UnknownSku();
        }
        // The priority orders the SKU's warehouses: a name it holds no stock in would be a typo kept forever (and,
        // since each must be one of them, the list is as short as the SKU's warehouses, however long the request).
        var asked = request.WarehousePriority ?? [];
        for (var i = 0; i < asked.Count; i++)
        {
            if (!State.Warehouses.ContainsKey(asked[i]))
            {
                return new StockChangeResult(StockChangeError.UnknownWarehouse, StockOrNull(), UnknownWarehouseMessage(asked[i]), Field: $"warehousePriority[{i}]");
            }
        }
        var levelBefore = Level();
        var totals = Totals();
        var priority = request.WarehousePriority is null ? State.WarehousePriority : [.. request.WarehousePriority.Distinct(StringComparer.Ordinal)];
        var change = $"low-stock threshold {State.LowStockThreshold} → {request.LowStockThreshold}; " +
            $"backorders {(State.BackorderAllowed ? "on" : "off")} → {(request.BackorderAllowed ? "on" : "off")}; " +
            $"warehouse priority {string.Join(", ", priority)}";
        _inventory.AppendToJournal(LedgerKind, new LedgerEntry(StockChangeKind.Configured, null, totals.OnHand, totals.OnHand, totals.Reserved, totals.Reserved,
            change, null, null, request.Actor, Now));
        State.Known = true;
        State.LowStockThreshold = request.LowStockThreshold;
        State.BackorderAllowed = request.BackorderAllowed;
        State.WarehousePriority = priority;
        await CommitAndNotify(levelBefore, StockChangeKind.Configured);
        return new StockChangeResult(StockChangeError.None, Snapshot());
    }

    /// <summary>
    /// Whether this SKU is in the catalog: the one place that decides an unknown SKU, for every operation and
    /// every caller. Only a SKU without stock records asks the catalog, once per activation when listed; a SKU
    /// with records was listed when it got them (the catalog never deletes one), so the reservation hot path
    /// never reads the database here. Awaited before anything else in a turn, so that the check and the change
    /// after it still run without an await between them.
    /// </summary>
    private ValueTask<bool> IsInCatalog() => State.Known || _inCatalog ? ValueTask.FromResult(true) : AskCatalog();

    private async ValueTask<bool> AskCatalog()
    {
        _inCatalog = (await _catalog.GetSkus([Sku])).ContainsKey(Sku);
        return _inCatalog;
    }

    private string NotInCatalog => $"SKU '{Sku}' is not in the catalog.";

    private StockChangeResult UnknownSku() => new(StockChangeError.UnknownSku, null, NotInCatalog);

    private string UnknownWarehouseMessage(string warehouseId) => $"Warehouse '{warehouseId}' holds no stock of '{Sku}'.";

    private StockSnapshot? StockOrNull() => State.Known ? Snapshot() : null;

    private async Task<StockChangeResult?> ReplayOperation(string? operationId, string fingerprint)
    {
        if (operationId is null || !State.AppliedOperations.TryGetValue(operationId, out var applied))
        {
            return null;
        }
        await _lastWrite;
        return applied.Fingerprint == fingerprint
            ? new StockChangeResult(StockChangeError.None, Snapshot(), Replayed: true)
            : new StockChangeResult(StockChangeError.OperationMismatch, Snapshot(), $"Operation '{operationId}' was already used for another change.");
    }

    private void RememberOperation(string? operationId, string fingerprint)
    {
        if (operationId is not null)
        {
            State.AppliedOperations[operationId] = new AppliedOperation(fingerprint, Now);
        }
    }

    // ---- Reads -----------------------------------------------------------------------------------

    public async Task<StockSnapshot?> GetStock()
    {
        await _lastWrite;
        return State.Known ? Snapshot() : null;
    }

    public async Task<Reservation?> GetReservation(string reservationId)
    {
        await _lastWrite;
        return FindExisting(reservationId);
    }

    public async Task<IReadOnlyList<Reservation>> GetHolds()
    {
        await _lastWrite;
        return [.. State.Allocations.Concat(_holds).Select(h => h.Value.ToReservation(h.Key))];
    }

    public async Task<LedgerPage> GetLedger(long afterSequence, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var records = await _inventory.ReadJournalAsync(LedgerKind, afterSequence, limit);
        var rows = records.Select(r => new LedgerRow(r.Sequence, StateJson.Deserialize<LedgerEntry>(r.Json))).ToList();
        return new LedgerPage(rows, rows.Count == limit ? rows[^1].Sequence : null);
    }

    private StockSnapshot Snapshot() => new(
        Sku,
        [.. State.Warehouses.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => new WarehouseStock(w.Key, w.Value.OnHand, w.Value.Reserved))],
        [.. State.WarehousePriority],
        State.LowStockThreshold,
        State.BackorderAllowed,
        State.Allocations.Count + _holds.Count);

    // ---- Observers ---------------------------------------------------------------------------

    public Task Subscribe(IInventoryObserver observer)
    {
        _observers.Subscribe(observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IInventoryObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private (int Available, StockLevel Level) Level()
    {
        var available = Available;
        return (available, StockSnapshot.LevelOf(available, State.LowStockThreshold));
    }

    /// <summary>Commits, then tells observers what the change did to availability (after the commit: never news that could be lost).</summary>
    private async Task CommitAndNotify((int Available, StockLevel Level) before, StockChangeKind cause)
    {
        var after = Level();
        await Write();
        _stockFeed.Changed(after.Available);
        if (after == before || _observers.Count == 0)
        {
            return;
        }
        var change = new StockLevelChange(Sku, after.Available, after.Level, cause);
        if (after.Available != before.Available)
        {
            _observers.Notify(o => o.StockChanged(change));
        }
        if (after.Level == StockLevel.Low && before.Level == StockLevel.InStock)
        {
            _observers.Notify(o => o.LowStock(change));
        }
        if (before.Level == StockLevel.OutOfStock && after.Level != StockLevel.OutOfStock)
        {
            _observers.Notify(o => o.BackInStock(change));
        }
    }

    // ---- Ledgered changes --------------------------------------------------------------------

    /// <summary>
    /// The only way stock figures change: applies the deltas and appends the ledger entry that commits
    /// with them. An entry that places an expiring hold (<paramref name="placedHold"/>) carries it, so the
    /// hold needs no record of its own.
    /// </summary>
    private void Apply(StockChangeKind kind, string warehouseId, int onHandDelta, int reservedDelta, string actor,
        string? reason = null, string? reservationId = null, string? orderId = null, StockHold? placedHold = null)
    {
        var counts = State.Warehouses[warehouseId];
        var entry = new LedgerEntry(kind, warehouseId, counts.OnHand, counts.OnHand + onHandDelta, counts.Reserved, counts.Reserved + reservedDelta,
            reason, reservationId, orderId, actor, Now, placedHold?.Quantity, placedHold?.ExpiresAt);
        _inventory.AppendToJournal(LedgerKind, entry);
        counts.OnHand += onHandDelta;
        counts.Reserved += reservedDelta;
    }

    private (int OnHand, int Reserved) Totals() =>
        (State.Warehouses.Values.Sum(w => w.OnHand), State.Warehouses.Values.Sum(w => w.Reserved));

    private Task Write()
    {
        PruneIdempotencyMemory();
        _lastWrite = _inventory.WriteStateAsync();
        return _lastWrite;
    }

    /// <summary>Forgets finished holds and operation ids older than the idempotency window, at most once an hour.</summary>
    private void PruneIdempotencyMemory()
    {
        var now = Now;
        if (now - _lastPruned < TimeSpan.FromHours(1))
        {
            return;
        }
        _lastPruned = now;
        var horizon = now - _options.IdempotencyWindow;
        foreach (var id in _finished.Where(f => f.Value.FinishedAt < horizon).Select(f => f.Key).ToList())
        {
            _finished.Remove(id);
        }
        foreach (var id in State.AppliedOperations.Where(o => o.Value.AppliedAt < horizon).Select(o => o.Key).ToList())
        {
            State.AppliedOperations.Remove(id);
        }
    }
}
