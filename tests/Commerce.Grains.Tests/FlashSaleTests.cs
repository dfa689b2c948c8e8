using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Orleans;
using Commerce.Testing;
using Commerce.Testing.Postgres;

namespace Commerce.Grains.Tests;

/// <summary>Flash-sale rules against a real PostgreSQL. Tests wait on what the sale tells its observers, never on the clock.</summary>
public sealed class FlashSaleTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly Money Price = new(19.99m, "EUR");

    private Task<TestSilo> StartSilo() => Silos.Start(database.ConnectionString);

    /// <summary>A SKU with <paramref name="stock"/> units and a scheduled sale of <paramref name="units"/> of them; the sale's probe is subscribed.</summary>
    private static async Task<(IFlashSaleGrain Sale, ISkuInventoryGrain Sku, SaleProbe Probe)> ScheduledSale(
        TestSilo silo, int stock, int units, int limit = 1, TimeSpan? tokenLifetime = null, TimeSpan? startsIn = null, TimeSpan? endsIn = null)
    {
        var sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(await Shop.CatalogSku(silo, "tv"));
        await sku.Receive(new ReceiveStock("north", stock, "ops"));
        var sale = silo.GrainFactory.GetGrain<IFlashSaleGrain>(Silos.NewKey("sale"));
        var now = DateTimeOffset.UtcNow;
        var created = await sale.Create(new CreateFlashSale(Silos.KeyOf(sku), units, Price, now + (startsIn ?? TimeSpan.FromHours(1)), now + (endsIn ?? TimeSpan.FromHours(2)),
            limit, AdmissionRatePerSecond: 1_000, tokenLifetime, null, "ops"));
        Assert.True(created.Succeeded, created.Message);
        var probe = new SaleProbe();
        await sale.Subscribe(silo.GrainFactory.CreateObjectReference<IFlashSaleObserver>(probe));
        return (sale, sku, probe);
    }

    private static string[] Customers(int count) => [.. Enumerable.Range(1, count).Select(i => $"c{i:D5}")];

    private static async Task JoinInOrder(IFlashSaleGrain sale, IEnumerable<string> customers)
    {
        foreach (var customer in customers)
        {
            Assert.True((await sale.Join(customer)).Succeeded);
        }
    }

    private static Task<PurchaseResult> Buy(IFlashSaleGrain sale, string customer, PurchaseToken token, int quantity = 1) =>
        sale.Purchase(new PurchaseRequest(customer, token.Value, quantity, "key-" + customer));

    [Fact]
    public async Task Creating_a_sale_moves_its_units_from_inventory_into_its_pool_once()
    {
        await using var silo = await StartSilo();
        var (sale, sku, _) = await ScheduledSale(silo, stock: 10, units: 6);
        var status = (await sale.GetStatus())!;
        Assert.Equal((SalePhase.Scheduled, 6, 6), (status.Phase, status.Units, status.UnitsRemaining));
        Assert.Equal(4, (await sku.GetStock())!.Available);
        Assert.Equal(ReservationError.InsufficientStock, (await sku.Reserve(new ReserveStock("cart", 5))).Error);

        var definition = new CreateFlashSale(Silos.KeyOf(sku), 6, Price, status.StartsAt, status.EndsAt, 1, 1_000, null, null, "someone else");
        Assert.True((await sale.Create(definition)).Succeeded);
        Assert.Equal(FlashSaleError.AlreadyExists, (await sale.Create(definition with { Units = 7 })).Error);
        Assert.Equal(4, (await sku.GetStock())!.Available);

        var tooBig = await silo.GrainFactory.GetGrain<IFlashSaleGrain>(Silos.NewKey("sale")).Create(definition with { Units = 5 });
        Assert.Equal(FlashSaleError.InsufficientStock, tooBig.Error);
        Assert.Contains(Silos.KeyOf(sale), await silo.GrainFactory.GetGrain<IFlashSaleCatalogGrain>(FlashSaleCatalog.GrainKey).List());
    }

    [Fact]
    public async Task Customers_queue_once_and_are_admitted_in_ticket_order_with_single_use_tokens()
    {
        await using var silo = await StartSilo();
        // Five units for ten customers: exactly the first five tickets are admitted, the rest keep their places.
        var (sale, _, probe) = await ScheduledSale(silo, stock: 20, units: 5);
        var customers = Customers(10);
        await JoinInOrder(sale, customers);
        var again = await sale.Join(customers[2]);
        Assert.Equal((3L, 3L, QueueEntryState.Waiting), (again.Status!.Ticket, again.Status.Position, again.Status.State));
        Assert.Equal(10, (await sale.GetStatus())!.CustomersQueued);

        await sale.StartNow("ops");
        await Task.WhenAll(customers.Take(5).Select(probe.AdmissionOf));

        for (var i = 0; i < customers.Length; i++)
        {
            var status = (await sale.GetQueueStatus(customers[i])).Status!;
            Assert.Equal(i + 1L, status.Ticket);
            if (i < 5)
            {
                Assert.Equal(QueueEntryState.Admitted, status.State);
                Assert.Equal(1, status.Token!.Quantity);
            }
            else
            {
                Assert.Equal((QueueEntryState.Waiting, i - 4L), (status.State, status.Position));
            }
        }
        Assert.Equal(5, probe.AdmissionOrder.Count);
    }

    [Fact]
    public async Task A_purchase_needs_the_customers_own_live_token_stays_within_its_allowance_and_waits_in_the_sale_for_payment()
    {
        await using var silo = await StartSilo();
        var (sale, sku, probe) = await ScheduledSale(silo, stock: 10, units: 5, limit: 2);
        await JoinInOrder(sale, ["ann", "bob", "cid"]);
        Assert.Equal(FlashSaleError.NotAdmitted, (await sale.Purchase(new PurchaseRequest("ann", "nothing", 1, "k"))).Error);
        await sale.StartNow("ops");
        var ann = await probe.AdmissionOf("ann");
        var bob = await probe.AdmissionOf("bob");
        var cid = await probe.AdmissionOf("cid");
        Assert.Equal((2, 2, 1), (ann.Quantity, bob.Quantity, cid.Quantity));
        Assert.Equal(3, (await sale.GetStatus())!.TokensOutstanding);

        Assert.Equal(FlashSaleError.TokenInvalid, (await Buy(sale, "ann", bob)).Error);
        Assert.Equal(FlashSaleError.QuantityExceedsAllowance, (await Buy(sale, "cid", cid, quantity: 2)).Error);
        var bought = await Buy(sale, "ann", ann, quantity: 2);
        Assert.True(bought.Succeeded);
        Assert.Equal(new Money(39.98m, "EUR"), bought.Purchase!.Total);

        Assert.Equal((PurchaseState.AwaitingPayment, null), (bought.Purchase.State, bought.Purchase.OrderId));
        Assert.True(bought.Purchase.PayBy > bought.Purchase.PurchasedAt);
        // The units wait in the sale's own allocation, which never expires into regular stock.
        var onlyHold = Assert.Single(await sku.GetHolds());
        Assert.Equal((5, (DateTimeOffset?)null), (onlyHold.Quantity, onlyHold.ExpiresAt));
        var status = (await sale.GetStatus())!;
        Assert.Equal((2, 3, 2), (status.UnitsSold, status.UnitsRemaining, status.TokensOutstanding));
        Assert.Equal((0, 2), (status.UnitsPaid, status.UnitsAwaitingPayment));
        var place = (await sale.GetQueueStatus("ann")).Status!;
        Assert.Equal((QueueEntryState.Purchased, bought.Purchase.PurchaseId, bought.Purchase.PayBy), (place.State, place.PurchaseId, place.PayBy));
    }

    [Fact]
    public async Task A_retried_purchase_returns_the_first_result_and_a_reused_key_is_refused()
    {
        await using var silo = await StartSilo();
        var (sale, _, probe) = await ScheduledSale(silo, stock: 10, units: 5, limit: 2);
        await JoinInOrder(sale, ["ann"]);
        await sale.StartNow("ops");
        var token = await probe.AdmissionOf("ann");

        var attempts = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => sale.Purchase(new PurchaseRequest("ann", token.Value, 1, "same-key"))));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Purchase, a.Purchase));
        Assert.Equal(9, attempts.Count(a => a.Replayed));
        Assert.Equal(FlashSaleError.IdempotencyKeyReused, (await sale.Purchase(new PurchaseRequest("ann", token.Value, 2, "same-key"))).Error);
        Assert.Equal(FlashSaleError.NotAdmitted, (await sale.Purchase(new PurchaseRequest("ann", token.Value, 1, "other-key"))).Error);
        Assert.Equal(1, (await sale.GetStatus())!.UnitsSold);
    }

    [Fact]
    public async Task An_unused_token_expires_and_its_units_go_to_the_next_customer()
    {
        await using var silo = await StartSilo();
        // Long enough that "next" can still buy with its token on a loaded machine (it failed once at 500 ms under a
        // load average of 20), short enough that the slow token's expiry does not make the test slow.
        var (sale, _, probe) = await ScheduledSale(silo, stock: 1, units: 1, tokenLifetime: TimeSpan.FromSeconds(2));
        await JoinInOrder(sale, ["slow", "next"]);
        await sale.StartNow("ops");
        var slowToken = await probe.AdmissionOf("slow");

        // "next" can only be admitted once the unit claimed by the slow customer's token is back in the pool.
        var nextToken = await probe.AdmissionOf("next");
        Assert.Equal(QueueEntryState.TokenExpired, (await sale.GetQueueStatus("slow")).Status!.State);
        Assert.Equal(FlashSaleError.TokenExpired, (await Buy(sale, "slow", slowToken)).Error);
        Assert.Equal(1, (await sale.GetStatus())!.TokensOutstanding);
        Assert.True((await Buy(sale, "next", nextToken)).Succeeded);
        var soldOut = (await sale.GetStatus())!;
        Assert.Equal((SalePhase.SoldOut, 0), (soldOut.Phase, soldOut.TokensOutstanding));
    }

    [Fact]
    public async Task Once_sold_out_every_request_is_answered_from_memory_without_storage_io()
    {
        await using var silo = await StartSilo();
        var (sale, _, probe) = await ScheduledSale(silo, stock: 2, units: 2);
        await JoinInOrder(sale, ["a", "b", "c"]);
        await sale.StartNow("ops");
        var tokenA = await probe.AdmissionOf("a");
        var tokenB = await probe.AdmissionOf("b");
        Assert.True((await Buy(sale, "a", tokenA)).Succeeded);
        Assert.True((await Buy(sale, "b", tokenB)).Succeeded);
        await probe.SoldOutSignal.Task.WaitAsync(Silos.Patience);
        // A replay answers once the purchase is committed: after these, nothing is still being written.
        Assert.True((await Buy(sale, "a", tokenA)).Replayed);
        Assert.True((await Buy(sale, "b", tokenB)).Replayed);

        using var storage = new StorageCounter(silo);
        var joins = await Task.WhenAll(Customers(200).Select(sale.Join));
        var purchases = await Task.WhenAll(Customers(200).Select(c => sale.Purchase(new PurchaseRequest(c, "guess", 1, "k"))));
        var waiting = await sale.GetQueueStatus("c");

        Assert.All(joins, j => Assert.Equal(FlashSaleError.SoldOut, j.Error));
        Assert.All(purchases, p => Assert.Equal(FlashSaleError.SoldOut, p.Error));
        Assert.Equal(QueueEntryState.SoldOut, waiting.Status!.State);
        Assert.True(storage.Watching);
        Assert.Equal(0, storage.Operations);
    }

    [Fact]
    public async Task Concurrent_buyers_never_get_more_than_the_pool_nor_more_than_their_limit()
    {
        await using var silo = await StartSilo();
        var (sale, sku, probe) = await ScheduledSale(silo, stock: 1_000, units: 300, limit: 2);
        var customers = Customers(1_000);
        await Task.WhenAll(customers.Select(sale.Join));
        await sale.StartNow("ops");

        // Everyone admitted tries to buy twice as much as allowed, then what is allowed, concurrently.
        var buyers = customers.Select(async c =>
        {
            if (await probe.AdmissionOrSoldOut(c) is not { } token)
            {
                return 0;
            }
            var greedy = await sale.Purchase(new PurchaseRequest(c, token.Value, token.Quantity * 2, "greedy-" + c));
            Assert.Equal(FlashSaleError.QuantityExceedsAllowance, greedy.Error);
            var bought = await sale.Purchase(new PurchaseRequest(c, token.Value, token.Quantity, "buy-" + c));
            return bought.Succeeded ? bought.Purchase!.Quantity : 0;
        });
        var units = await Task.WhenAll(buyers);

        Assert.Equal(300, units.Sum());
        Assert.All(units, u => Assert.InRange(u, 0, 2));
        var status = (await sale.GetStatus())!;
        Assert.Equal((SalePhase.SoldOut, 300), (status.Phase, status.UnitsSold));
        Assert.Equal(300, Assert.Single(await sku.GetHolds()).Quantity);
        Assert.Equal(700, (await sku.GetStock())!.Available);
    }

    [Fact]
    public async Task When_a_sale_ends_its_unsold_units_go_back_to_inventory()
    {
        await using var silo = await StartSilo();
        var (sale, sku, _) = await ScheduledSale(silo, stock: 10, units: 8, startsIn: TimeSpan.Zero, endsIn: TimeSpan.FromSeconds(1));

        // Reading the status does not end a sale: only its own timer returns the units.
        var status = await Eventually.Value(sale.GetStatus, s => s!.UnitsReturnedToInventory > 0);
        Assert.Equal((SalePhase.Ended, 8), (status!.Phase, status.UnitsReturnedToInventory));
        Assert.Equal((0, 10), ((await sku.GetStock())!.Reserved, (await sku.GetStock())!.Available));
        Assert.Equal(FlashSaleError.SaleOver, (await sale.Join("late")).Error);
    }

    [Fact]
    public async Task Cancelling_a_sale_returns_its_unsold_units_and_voids_unused_tokens()
    {
        await using var silo = await StartSilo();
        var (sale, sku, probe) = await ScheduledSale(silo, stock: 10, units: 4);
        await JoinInOrder(sale, ["buyer", "idle"]);
        await sale.StartNow("ops");
        Assert.True((await Buy(sale, "buyer", await probe.AdmissionOf("buyer"))).Succeeded);
        var unused = await probe.AdmissionOf("idle");

        var cancelled = await sale.Cancel("ops");
        Assert.Equal((SalePhase.Cancelled, 3, 0), (cancelled.Sale!.Phase, cancelled.Sale.UnitsReturnedToInventory, cancelled.Sale.TokensOutstanding));
        Assert.Equal(SalePhase.Cancelled, await probe.EndedSignal.Task.WaitAsync(Silos.Patience));
        var stock = (await sku.GetStock())!;
        Assert.Equal((1, 9), (stock.Reserved, stock.Available));
        Assert.Equal(FlashSaleError.SaleOver, (await Buy(sale, "idle", unused)).Error);
        Assert.Equal(QueueEntryState.SaleOver, (await sale.GetQueueStatus("idle")).Status!.State);
        Assert.Equal(QueueEntryState.Purchased, (await sale.GetQueueStatus("buyer")).Status!.State);
    }

    [Fact]
    public async Task Queue_tokens_and_purchases_survive_a_restart()
    {
        await using var silo = await StartSilo();
        var (sale, sku, probe) = await ScheduledSale(silo, stock: 10, units: 2);
        var saleKey = Silos.KeyOf(sale);
        await JoinInOrder(sale, ["a", "b", "c", "d"]);
        await sale.StartNow("ops");
        var a = await probe.AdmissionOf("a");
        var b = await probe.AdmissionOf("b");
        var bought = await Buy(sale, "a", a);

        await silo.RestartAsync();
        sale = silo.GrainFactory.GetGrain<IFlashSaleGrain>(saleKey);
        probe = new SaleProbe();
        await sale.Subscribe(silo.GrainFactory.CreateObjectReference<IFlashSaleObserver>(probe));

        Assert.Equal(bought.Purchase, (await Buy(sale, "a", a)).Purchase);
        var waiting = (await sale.GetQueueStatus("c")).Status!;
        Assert.Equal((QueueEntryState.Waiting, 3L, 1L), (waiting.State, waiting.Ticket, waiting.Position));
        var restarted = (await sale.GetStatus())!;
        Assert.Equal((4L, 1), (restarted.CustomersQueued, restarted.TokensOutstanding));
        // The token issued before the restart still buys.
        Assert.True((await Buy(sale, "b", b)).Succeeded);
        await probe.SoldOutSignal.Task.WaitAsync(Silos.Patience);
        Assert.Equal(QueueEntryState.SoldOut, (await sale.GetQueueStatus("d")).Status!.State);
    }

    [Fact]
    public async Task A_silo_stop_in_the_middle_of_a_sale_loses_no_acknowledged_purchase_and_oversells_nothing_after_restart()
    {
        await using var silo = await StartSilo();
        var (sale, sku, probe) = await ScheduledSale(silo, stock: 500, units: 200);
        var saleKey = Silos.KeyOf(sale);
        var skuKey = Silos.KeyOf(sku);
        var customers = Customers(400);
        await Task.WhenAll(customers.Select(sale.Join));
        await sale.StartNow("ops");

        // Buyers race the stop: some purchases are acknowledged, some fail with the silo.
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<FlashSalePurchase>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var buyers = customers.Select(async c =>
        {
            var admission = probe.AdmissionOrSoldOut(c);
            if (await Task.WhenAny(admission, stopping.Task) == admission && await admission is { } token)
            {
                try
                {
                    if (await Buy(sale, c, token) is { Succeeded: true } result)
                    {
                        acknowledged.Add(result.Purchase!);
                    }
                }
                catch (Exception)
                {
                    // The silo went away under this call: not acknowledged, so nothing was promised.
                }
            }
        }).ToList();
        await Task.WhenAny(Task.WhenAll(buyers), Eventually.Value(() => Task.FromResult(acknowledged.Count), n => n >= 50));
        stopping.SetResult();
        await silo.StopAsync();
        await Task.WhenAll(buyers);

        await silo.RestartAsync();
        sale = silo.GrainFactory.GetGrain<IFlashSaleGrain>(saleKey);
        sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(skuKey);
        var status = (await sale.GetStatus())!;
        Assert.True(acknowledged.Count >= 50);
        Assert.InRange(status.UnitsSold, acknowledged.Count, 200);
        foreach (var purchase in acknowledged)
        {
            Assert.Equal(QueueEntryState.Purchased, (await sale.GetQueueStatus(purchase.CustomerId)).Status!.State);
        }

        // The sale goes on after the restart and still sells exactly its pool, no more.
        probe = new SaleProbe();
        await sale.Subscribe(silo.GrainFactory.CreateObjectReference<IFlashSaleObserver>(probe));
        var rest = customers.Select(async c =>
        {
            var current = (await sale.GetQueueStatus(c)).Status!;
            var token = current.State == QueueEntryState.Admitted ? current.Token
                : current.State == QueueEntryState.Waiting ? await probe.AdmissionOrSoldOut(c)
                : null;
            return token is not null && (await Buy(sale, c, token)).Succeeded ? 1 : 0;
        });
        await Task.WhenAll(rest);
        status = (await Eventually.Value(sale.GetStatus, s => s!.Phase == SalePhase.SoldOut))!;
        Assert.Equal(200, status.UnitsSold);
        var stock = (await sku.GetStock())!;
        Assert.Equal((500, 200, 300), (stock.OnHand, stock.Reserved, stock.Available));
        Assert.Equal(200, Assert.Single(await sku.GetHolds()).Quantity);
    }
}
