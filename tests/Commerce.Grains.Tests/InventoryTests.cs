using Commerce.Grains.Inventory;
using Orleans;
using Commerce.Persistence;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Commerce.Testing.Postgres;

namespace Commerce.Grains.Tests;

/// <summary>SKU inventory rules against a real PostgreSQL (a fresh database for this class).</summary>
public sealed class InventoryTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private Task<TestSilo> StartSilo() => Silos.Start(database.ConnectionString);

    private static async Task<ISkuInventoryGrain> Stocked(TestSilo silo, params (string Warehouse, int Quantity)[] stock)
    {
        var sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(await Shop.CatalogSku(silo));
        foreach (var (warehouse, quantity) in stock)
        {
            Assert.True((await sku.Receive(new ReceiveStock(warehouse, quantity, "test"))).Succeeded);
        }
        return sku;
    }

    private static async Task<List<LedgerRow>> WholeLedger(ISkuInventoryGrain sku)
    {
        var rows = new List<LedgerRow>();
        long after = 0;
        while (true)
        {
            var page = await sku.GetLedger(after, 500);
            rows.AddRange(page.Rows);
            if (page.NextAfter is not { } next)
            {
                return rows;
            }
            after = next;
        }
    }

    [Fact]
    public async Task Receiving_stock_makes_a_known_sku_with_a_ledger_row_per_change()
    {
        await using var silo = await StartSilo();
        var sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(await Shop.CatalogSku(silo));
        Assert.Null(await sku.GetStock());

        var received = await sku.Receive(new ReceiveStock("north", 7, "alice", Note: "PO-1"));
        Assert.True(received.Succeeded);
        Assert.Equal(7, received.Stock!.Available);
        Assert.Equal(["north"], received.Stock.WarehousePriority);

        var ledger = await WholeLedger(sku);
        var row = Assert.Single(ledger).Entry;
        Assert.Equal((StockChangeKind.Received, "north", 0, 7, 7, "alice", "PO-1"), (row.Kind, row.WarehouseId, row.OnHandBefore, row.OnHandAfter, row.OnHandDelta, row.Actor, row.Reason));
    }

    [Fact]
    public async Task Reserve_prefers_the_asked_warehouse_then_the_priority_order_and_never_splits()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 5), ("south", 5));
        await sku.Configure(new ConfigureStock(0, false, ["south", "north"], "ops"));

        var preferred = await sku.Reserve(new ReserveStock("r1", 2, PreferredWarehouse: "north"));
        Assert.Equal("north", preferred.Reservation!.WarehouseId);
        var byPriority = await sku.Reserve(new ReserveStock("r2", 4));
        Assert.Equal("south", byPriority.Reservation!.WarehouseId);
        var fallsThrough = await sku.Reserve(new ReserveStock("r3", 2, PreferredWarehouse: "south"));
        Assert.Equal("north", fallsThrough.Reservation!.WarehouseId);

        // One unit is left in each warehouse: two units exist, but no single warehouse has them.
        var split = await sku.Reserve(new ReserveStock("r4", 2));
        Assert.Equal(ReservationError.InsufficientStock, split.Error);
        Assert.Contains("never split", split.Message);
        Assert.Equal(2, (await sku.GetStock())!.Available);
    }

    [Fact]
    public async Task Every_operation_on_a_sku_that_is_not_in_the_catalog_is_refused_and_records_nothing()
    {
        await using var silo = await StartSilo();
        var ghost = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(Silos.NewKey("ghost"));

        Assert.Equal(StockChangeError.UnknownSku, (await ghost.Receive(new ReceiveStock("north", 5, "ops"))).Error);
        Assert.Equal(StockChangeError.UnknownSku, (await ghost.Configure(new ConfigureStock(3, false, null, "ops"))).Error);
        Assert.Equal(StockChangeError.UnknownSku, (await ghost.Adjust(new AdjustStock("north", 1, "found", "ops"))).Error);
        Assert.Equal(ReservationError.UnknownSku, (await ghost.Reserve(new ReserveStock("r1", 1))).Error);
        Assert.Equal(ReservationError.UnknownSku, (await ghost.Allocate(new AllocateStock("sale-1", 1, null, "ops"))).Error);

        Assert.Null(await ghost.GetStock());
        Assert.Empty(await WholeLedger(ghost));
        Assert.Null(await new GrainStateStore(database.DataSource).ReadAsync("SkuInventory", Silos.KeyOf(ghost), SkuInventoryGrain.StateName, CancellationToken.None));
    }

    [Fact]
    public async Task A_sku_in_the_catalog_without_stock_is_out_of_stock_not_unknown()
    {
        await using var silo = await StartSilo();
        var sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(await Shop.CatalogSku(silo));

        Assert.Equal(ReservationError.InsufficientStock, (await sku.Reserve(new ReserveStock("r1", 1))).Error);
        var adjusted = await sku.Adjust(new AdjustStock("north", 1, "found", "ops"));
        Assert.Equal((StockChangeError.UnknownWarehouse, "warehouseId"), (adjusted.Error, adjusted.Field));
        Assert.True((await sku.Configure(new ConfigureStock(3, false, null, "ops"))).Succeeded);
        Assert.True((await sku.Receive(new ReceiveStock("north", 5, "ops"))).Succeeded);
    }

    [Fact]
    public async Task A_warehouse_priority_names_only_warehouses_that_hold_the_sku()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 5), ("south", 5));
        await sku.Configure(new ConfigureStock(2, false, ["south", "north"], "ops"));

        var refused = await sku.Configure(new ConfigureStock(9, true, ["north", "west", "south"], "ops"));

        Assert.Equal((StockChangeError.UnknownWarehouse, "warehousePriority[1]"), (refused.Error, refused.Field));
        var stock = (await sku.GetStock())!;
        Assert.Equal(["south", "north"], stock.WarehousePriority);
        Assert.Equal((2, false), (stock.LowStockThreshold, stock.BackorderAllowed));
        Assert.Equal(3, (await WholeLedger(sku)).Count);
    }

    [Fact]
    public async Task A_hold_from_a_warehouse_that_does_not_hold_the_sku_is_refused_not_taken_from_another()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 10));

        Assert.Equal(ReservationError.UnknownWarehouse, (await sku.Allocate(new AllocateStock("sale-1", 5, "nowhere", "ops"))).Error);
        Assert.Equal(ReservationError.UnknownWarehouse, (await sku.Reserve(new ReserveStock("cart-1", 1, PreferredWarehouse: "nowhere"))).Error);

        Assert.Equal(0, (await sku.GetStock())!.Reserved);
        Assert.Empty(await sku.GetHolds());
        Assert.Equal("north", (await sku.Allocate(new AllocateStock("sale-1", 5, "north", "ops"))).Reservation!.WarehouseId);
    }

    [Fact]
    public async Task A_retried_reservation_returns_the_first_result_and_holds_stock_once()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 10));
        var first = await sku.Reserve(new ReserveStock("r1", 3));
        var retries = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => sku.Reserve(new ReserveStock("r1", 3))));

        Assert.All(retries, r => Assert.Equal(first.Reservation, r.Reservation));
        Assert.Equal(3, (await sku.GetStock())!.Reserved);
        Assert.Equal(ReservationError.QuantityMismatch, (await sku.Reserve(new ReserveStock("r1", 4))).Error);
        Assert.Single(await WholeLedger(sku), r => r.Entry.Kind == StockChangeKind.Reserved);
    }

    [Fact]
    public async Task Confirm_and_release_are_idempotent_and_exclude_each_other()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 10));
        await sku.Reserve(new ReserveStock("sold", 2));
        await sku.Reserve(new ReserveStock("dropped", 3));

        Assert.Equal(ReservationState.Confirmed, (await sku.Confirm("sold", "order-1", "checkout")).Reservation!.State);
        Assert.True((await sku.Confirm("sold", "order-1", "checkout")).Succeeded);
        Assert.Equal(ReservationError.AlreadyConfirmed, (await sku.Release("sold", "checkout")).Error);

        Assert.Equal(ReservationState.Released, (await sku.Release("dropped", "cart")).Reservation!.State);
        Assert.True((await sku.Release("dropped", "cart")).Succeeded);
        Assert.Equal(ReservationError.AlreadyEnded, (await sku.Confirm("dropped", null, "checkout")).Error);
        Assert.Equal(ReservationError.NotFound, (await sku.Confirm("never", null, "checkout")).Error);

        var stock = (await sku.GetStock())!;
        Assert.Equal((8, 0, 8), (stock.OnHand, stock.Reserved, stock.Available));
        var confirmed = Assert.Single(await WholeLedger(sku), r => r.Entry.Kind == StockChangeKind.Confirmed).Entry;
        Assert.Equal(("order-1", -2, -2), (confirmed.OrderId, confirmed.OnHandDelta, confirmed.ReservedDelta));
    }

    [Fact]
    public async Task Available_stock_goes_below_zero_only_when_backorders_are_allowed()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 2));
        Assert.Equal(ReservationError.InsufficientStock, (await sku.Reserve(new ReserveStock("r1", 3))).Error);
        Assert.Equal(StockChangeError.InsufficientStock, (await sku.Adjust(new AdjustStock("north", -3, "count", "ops"))).Error);

        await sku.Configure(new ConfigureStock(0, BackorderAllowed: true, null, "ops"));
        Assert.True((await sku.Reserve(new ReserveStock("r1", 3))).Succeeded);
        Assert.Equal(-1, (await sku.GetStock())!.Available);
    }

    [Fact]
    public async Task Adjustments_cannot_take_stock_below_what_is_reserved_and_operation_ids_make_retries_count_once()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 10));
        await sku.Reserve(new ReserveStock("r1", 8));

        var tooMuch = await sku.Adjust(new AdjustStock("north", -3, "damaged", "ops"));
        Assert.Equal(StockChangeError.InsufficientStock, tooMuch.Error);
        Assert.Equal(StockChangeError.UnknownWarehouse, (await sku.Adjust(new AdjustStock("west", 1, "found", "ops"))).Error);

        var adjusted = await sku.Adjust(new AdjustStock("north", -2, "damaged", "ops", OperationId: "op-1"));
        var retried = await sku.Adjust(new AdjustStock("north", -2, "damaged", "ops", OperationId: "op-1"));
        Assert.True(retried.Replayed);
        Assert.Equal(adjusted.Stock!.OnHand, retried.Stock!.OnHand);
        Assert.Equal(StockChangeError.OperationMismatch, (await sku.Adjust(new AdjustStock("north", -1, "damaged", "ops", OperationId: "op-1"))).Error);
        await sku.Receive(new ReceiveStock("north", 5, "ops", OperationId: "po-9"));
        await sku.Receive(new ReceiveStock("north", 5, "ops", OperationId: "po-9"));

        var stock = (await sku.GetStock())!;
        Assert.Equal((13, 8), (stock.OnHand, stock.Reserved));
        var adjustment = Assert.Single(await WholeLedger(sku), r => r.Entry.Kind == StockChangeKind.Adjusted).Entry;
        Assert.Equal(("damaged", "ops", 10, 8), (adjustment.Reason, adjustment.Actor, adjustment.OnHandBefore, adjustment.OnHandAfter));
    }

    [Fact]
    public async Task Observers_hear_stock_changed_low_stock_and_back_in_stock()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 10));
        await sku.Configure(new ConfigureStock(LowStockThreshold: 3, false, null, "ops"));
        var probe = new InventoryProbe();
        await sku.Subscribe(silo.GrainFactory.CreateObjectReference<IInventoryObserver>(probe));

        await sku.Reserve(new ReserveStock("r1", 8));
        Assert.Equal(2, (await probe.Next("changed")).Available);
        Assert.Equal(StockLevel.Low, (await probe.Next("low")).Level);

        await sku.Reserve(new ReserveStock("r2", 2));
        Assert.Equal(StockLevel.OutOfStock, (await probe.Next("changed")).Level);

        await sku.Release("r2", "cart");
        var back = await probe.Next("back");
        Assert.Equal((2, StockChangeKind.Released), (back.Available, back.Cause));
    }

    [Fact]
    public async Task Ten_thousand_concurrent_one_unit_reservations_against_a_thousand_units_succeed_exactly_a_thousand_times()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 600), ("south", 400));

        var results = await Task.WhenAll(Enumerable.Range(0, 10_000).Select(i => sku.Reserve(new ReserveStock($"r{i}", 1))));

        var succeeded = results.Where(r => r.Succeeded).Select(r => r.Reservation!.ReservationId).ToHashSet();
        Assert.Equal(1_000, succeeded.Count);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(ReservationError.InsufficientStock, r.Error));
        await AssertReconciled(sku, succeeded);

        // What was acknowledged is what PostgreSQL holds: a fresh activation reads the same.
        await silo.RestartAsync();
        await AssertReconciled(silo.GrainFactory.GetGrain<ISkuInventoryGrain>(Silos.KeyOf(sku)), succeeded);
    }

    private static async Task AssertReconciled(ISkuInventoryGrain sku, HashSet<string> reservationIds)
    {
        var stock = (await sku.GetStock())!;
        Assert.Equal((1_000, 1_000, 0), (stock.OnHand, stock.Reserved, stock.Available));
        var holds = await sku.GetHolds();
        Assert.Equal(stock.Reserved, holds.Sum(h => h.Quantity));
        var reservedInLedger = (await WholeLedger(sku)).Where(r => r.Entry.Kind == StockChangeKind.Reserved).Select(r => r.Entry.ReservationId!).ToList();
        Assert.Equal(1_000, reservedInLedger.Count);
        Assert.True(reservationIds.SetEquals(reservedInLedger));
    }

    [Fact]
    public async Task Concurrent_reserves_confirms_releases_and_receipts_keep_every_invariant()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 300), ("south", 300));
        var random = new Random(42);
        var work = Enumerable.Range(0, 2_000).Select(async i =>
        {
            var quantity = 1 + i % 3;
            var reserved = await sku.Reserve(new ReserveStock($"r{i}", quantity, PreferredWarehouse: i % 2 == 0 ? "north" : "south"));
            if (reserved.Succeeded)
            {
                _ = i % 3 == 0 ? await sku.Confirm($"r{i}", $"o{i}", "checkout") : i % 3 == 1 ? await sku.Release($"r{i}", "cart") : null;
            }
            if (i % 100 == 0)
            {
                await sku.Receive(new ReceiveStock(i % 200 == 0 ? "north" : "south", 10, "ops"));
            }
        });
        await Task.WhenAll(work);

        await AssertInvariants(sku);
        await silo.RestartAsync();
        await AssertInvariants(silo.GrainFactory.GetGrain<ISkuInventoryGrain>(Silos.KeyOf(sku)));
    }

    /// <summary>Available never negative (no backorders), reserved equals the live holds, and replaying the ledger gives the stock.</summary>
    private static async Task AssertInvariants(ISkuInventoryGrain sku)
    {
        var stock = (await sku.GetStock())!;
        var holds = await sku.GetHolds();
        var ledger = await WholeLedger(sku);
        foreach (var warehouse in stock.Warehouses)
        {
            Assert.True(warehouse.Available >= 0);
            Assert.Equal(warehouse.Reserved, holds.Where(h => h.WarehouseId == warehouse.WarehouseId).Sum(h => h.Quantity));
            var rows = ledger.Where(r => r.Entry.WarehouseId == warehouse.WarehouseId).Select(r => r.Entry).ToList();
            Assert.Equal(warehouse.OnHand, rows.Sum(e => e.OnHandDelta));
            Assert.Equal(warehouse.Reserved, rows.Sum(e => e.ReservedDelta));
        }
    }

    [Fact]
    public async Task A_hold_expires_through_its_backstop_reminder_after_a_restart()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 5));
        var key = Silos.KeyOf(sku);
        // Long enough that the silo is stopped before the hold's own timer could fire.
        Assert.True((await sku.Reserve(new ReserveStock("cart-1", 2, HoldFor: TimeSpan.FromSeconds(5)))).Succeeded);
        await silo.StopAsync();

        // The hold is in the ledger entry that placed it, and nothing has ended it.
        var placed = Assert.Single(await StoredLedger(key), e => e.HoldQuantity is not null);
        Assert.Equal(("cart-1", 2, StockChangeKind.Reserved), (placed.ReservationId, placed.HoldQuantity, placed.Kind));
        Assert.NotNull(placed.HoldExpiresAt);
        Assert.DoesNotContain(await StoredLedger(key), e => e.Kind == StockChangeKind.Expired);

        await silo.RestartAsync();
        // Nothing calls the grain: only the reminder can activate it, and the activation expires the hold on time.
        var ledger = await Eventually.Value(() => StoredLedger(key), e => e.Any(entry => entry.Kind == StockChangeKind.Expired));
        var expired = Assert.Single(ledger, e => e.Kind == StockChangeKind.Expired);
        Assert.Equal(("cart-1", -2), (expired.ReservationId, expired.ReservedDelta));
        Assert.True(expired.At >= placed.HoldExpiresAt, "the hold expired before its time");
        sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(key);
        Assert.Equal(5, (await sku.GetStock())!.Available);
        Assert.Equal(ReservationState.Expired, (await sku.GetReservation("cart-1"))!.State);
    }

    /// <summary>The SKU's ledger, read straight from PostgreSQL.</summary>
    private async Task<List<LedgerEntry>> StoredLedger(string key) =>
        [.. (await StoredLedgerRecords(key)).Select(r => StateJson.Deserialize<LedgerEntry>(r.Json))];

    private Task<IReadOnlyList<StoredJournalRecord>> StoredLedgerRecords(string key) =>
        new GrainStateStore(database.DataSource).ReadJournalAsync(
            "SkuInventory", key, SkuInventoryGrain.StateName, SkuInventoryGrain.LedgerKind, 0, 100_000, CancellationToken.None);

    private async Task<byte[]> StoredDocument(string key) =>
        (await new GrainStateStore(database.DataSource).ReadAsync("SkuInventory", key, SkuInventoryGrain.StateName, CancellationToken.None))!.Json;

    [Fact]
    public async Task The_state_document_does_not_grow_with_reservations_and_holds_survive_a_restart()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 10_000));
        var key = Silos.KeyOf(sku);
        Assert.True((await sku.Reserve(new ReserveStock("first", 1))).Succeeded);
        var sizeAfterOne = (await StoredDocument(key)).Length;

        // Thousands of holds, a third confirmed and a third released: live and finished holds galore.
        var reserved = await Task.WhenAll(Enumerable.Range(0, 3_000).Select(i => sku.Reserve(new ReserveStock($"r{i}", 1 + i % 2))));
        Assert.All(reserved, r => Assert.True(r.Succeeded));
        await Task.WhenAll(Enumerable.Range(0, 3_000).Where(i => i % 3 != 2).Select(i => i % 3 == 0 ? sku.Confirm($"r{i}", $"o{i}", "checkout") : sku.Release($"r{i}", "cart")));

        var document = await StoredDocument(key);
        // Only digits of the counters may have grown.
        Assert.InRange(document.Length, sizeAfterOne - 8, sizeAfterOne + 8);
        Assert.DoesNotContain("r17", System.Text.Encoding.UTF8.GetString(document));
        var stockBefore = (await sku.GetStock())!;
        var holdsBefore = (await sku.GetHolds()).OrderBy(h => h.ReservationId, StringComparer.Ordinal).ToList();
        Assert.Equal(1_001, holdsBefore.Count);

        await silo.RestartAsync();
        sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(key);
        var stock = (await sku.GetStock())!;
        Assert.Equal((stockBefore.OnHand, stockBefore.Reserved, stockBefore.ActiveHolds), (stock.OnHand, stock.Reserved, stock.ActiveHolds));
        Assert.Equal(holdsBefore, (await sku.GetHolds()).OrderBy(h => h.ReservationId, StringComparer.Ordinal).ToList());

        // Idempotent replays answer what the first call answered, from the rebuilt holds.
        var held = await sku.Reserve(new ReserveStock("r2", 1));
        Assert.Equal(reserved[2].Reservation, held.Reservation);
        Assert.Equal(ReservationError.QuantityMismatch, (await sku.Reserve(new ReserveStock("r5", 1))).Error);
        var confirmedAgain = await sku.Confirm("r3", "o3", "checkout");
        Assert.Equal(ReservationState.Confirmed, confirmedAgain.Reservation!.State);
        Assert.Equal(ReservationError.AlreadyConfirmed, (await sku.Release("r3", "cart")).Error);
        var releasedReplay = await sku.Reserve(new ReserveStock("r4", 1));
        Assert.True(releasedReplay.Succeeded);
        Assert.Equal(ReservationState.Released, releasedReplay.Reservation!.State);
        Assert.Equal(ReservationError.AlreadyEnded, (await sku.Confirm("r4", "o4", "checkout")).Error);
        Assert.Equal(stock.Available, (await sku.GetStock())!.Available);

        // Still held after the restart: the holds can end as before.
        Assert.True((await sku.Confirm("r2", "o2", "checkout")).Succeeded);
        Assert.Equal(stock.Reserved - 1, (await sku.GetStock())!.Reserved);
    }

    [Fact]
    public async Task Activation_moves_the_hold_watermark_past_holds_that_ended_before_the_idempotency_window()
    {
        var clock = new ManualClock();
        await using var silo = await Silos.Start(database.ConnectionString, services: s => s.AddKeyedSingleton<TimeProvider>(CommerceGrains.Clock, clock));
        var sku = await Stocked(silo, ("north", 100));
        var key = Silos.KeyOf(sku);
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await sku.Reserve(new ReserveStock($"old{i}", 1))).Succeeded);
            Assert.True((await sku.Confirm($"old{i}", null, "checkout")).Succeeded);
        }
        clock.Now += new InventoryOptions().IdempotencyWindow + TimeSpan.FromHours(1);
        Assert.True((await sku.Reserve(new ReserveStock("live", 2))).Succeeded);
        Assert.True((await sku.Reserve(new ReserveStock("done", 1))).Succeeded);
        Assert.True((await sku.Release("done", "cart")).Succeeded);

        await silo.RestartAsync();
        sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(key);
        Assert.Equal(2, (await sku.GetStock())!.Reserved);

        var watermark = (await database.StoredState<SkuInventoryState>("SkuInventory", key, SkuInventoryGrain.StateName))!.HoldJournalWatermark;
        var live = Assert.Single(await StoredLedgerRecords(key), r => StateJson.Deserialize<LedgerEntry>(r.Json) is { ReservationId: "live", HoldQuantity: not null });
        // Every entry of the old holds is behind the watermark; the live hold's placement is not.
        Assert.Equal(live.Sequence - 1, watermark);

        // Rebuilt from after the watermark: the live hold and the recent ending are still there; the old ones are forgotten.
        await silo.RestartAsync();
        sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(key);
        Assert.Equal("live", Assert.Single(await sku.GetHolds()).ReservationId);
        Assert.Equal(ReservationState.Released, (await sku.GetReservation("done"))!.State);
        Assert.Null(await sku.GetReservation("old3"));
        Assert.True((await sku.Release("live", "cart")).Succeeded);
        Assert.Equal(0, (await sku.GetStock())!.Reserved);
    }

    [Fact]
    public async Task Allocations_do_not_expire_and_give_units_to_expiring_reservations()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 10));
        Assert.True((await sku.Allocate(new AllocateStock("sale-1", 6, null, "ops"))).Succeeded);
        Assert.Equal(ReservationError.InsufficientStock, (await sku.Reserve(new ReserveStock("cart", 5))).Error);

        var moved = await sku.ReserveFromAllocation(new ReserveFromAllocation("sale-1", "buyer-1", 2, TimeSpan.FromMinutes(5), "sale"));
        Assert.NotNull(moved.Reservation!.ExpiresAt);
        Assert.Equal(ReservationError.InsufficientStock, (await sku.ReserveFromAllocation(new ReserveFromAllocation("sale-1", "buyer-2", 5, null, "sale"))).Error);

        var returned = await sku.Release("sale-1", "sale");
        Assert.Equal(4, returned.Reservation!.Quantity);
        var stock = (await sku.GetStock())!;
        Assert.Equal((2, 8), (stock.Reserved, stock.Available));
    }

    [Fact]
    public async Task An_allocation_takes_units_on_hand_only_even_with_backorders_on()
    {
        await using var silo = await StartSilo();
        var sku = await Stocked(silo, ("north", 50));
        await sku.Configure(new ConfigureStock(LowStockThreshold: 0, BackorderAllowed: true, null, "ops"));

        var tooMany = await sku.Allocate(new AllocateStock("sale-big", 1_000_000, null, "ops"));
        var fits = await sku.Allocate(new AllocateStock("sale-small", 50, null, "ops"));

        Assert.Equal(ReservationError.InsufficientStock, tooMany.Error);
        Assert.True(fits.Succeeded);
        // Backorders still let an ordinary reservation go past what is on hand.
        Assert.True((await sku.Reserve(new ReserveStock("backorder", 3))).Succeeded);
        Assert.Equal((53, -3), ((await sku.GetStock())!.Reserved, (await sku.GetStock())!.Available));
    }
}
