using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Grains.Payments;
using Commerce.Testing;
using Commerce.Testing.Postgres;

namespace Commerce.Grains.Tests;

/// <summary>
/// A flash-sale purchase paid through the order saga, on a real PostgreSQL: at the sale's price, one
/// paid order per purchase, and an unpaid purchase back in the sale's pool — never in regular stock.
/// </summary>
public sealed class FlashSaleCheckoutTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly Money SalePrice = new(9.50m, "EUR");

    /// <summary>A catalog SKU at 25 EUR with <paramref name="stock"/> units and a live sale of <paramref name="units"/> of them (limit one each).</summary>
    private static async Task<(IFlashSaleGrain Sale, string Sku, SaleProbe Probe)> LiveSale(Shop shop, int stock, int units)
    {
        var sku = await shop.Sku(25m, stock);
        var sale = shop.Silo.GrainFactory.GetGrain<IFlashSaleGrain>(Silos.NewKey("sale"));
        var now = DateTimeOffset.UtcNow;
        var created = await sale.Create(new CreateFlashSale(sku, units, SalePrice, now.AddHours(1), now.AddHours(2), 1, 1_000, null, null, "ops"));
        Assert.True(created.Succeeded, created.Message);
        var probe = new SaleProbe();
        await sale.Subscribe(shop.Silo.GrainFactory.CreateObjectReference<IFlashSaleObserver>(probe));
        return (sale, sku, probe);
    }

    /// <summary>Joins the customers in order, opens the sale, and buys one unit for each of the first <paramref name="buyers"/>.</summary>
    private static async Task<FlashSalePurchase[]> Bought(IFlashSaleGrain sale, SaleProbe probe, string[] customers, int buyers)
    {
        foreach (var customer in customers)
        {
            Assert.True((await sale.Join(customer)).Succeeded);
        }
        await sale.StartNow("ops");
        var purchases = new List<FlashSalePurchase>();
        foreach (var customer in customers.Take(buyers))
        {
            var token = await probe.AdmissionOf(customer);
            var bought = await sale.Purchase(new PurchaseRequest(customer, token.Value, 1, "buy-" + customer));
            Assert.True(bought.Succeeded, bought.Message);
            purchases.Add(bought.Purchase!);
        }
        return [.. purchases];
    }

    private static PlaceOrder PayFor(FlashSalePurchase purchase, CardOnFile? card = null, string fingerprint = "body-1") =>
        Shop.Checkout(purchase.CustomerId, card, fingerprint) with { FlashSale = new FlashSalePurchaseRef(purchase.SaleId, purchase.PurchaseId) };

    [Fact]
    public async Task A_paid_purchase_is_a_confirmed_order_at_the_sale_price_and_leaves_the_cart_alone()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var (sale, sku, probe) = await LiveSale(shop, stock: 10, units: 3);
        var purchase = (await Bought(sale, probe, ["ann"], 1)).Single();
        Assert.True((await shop.Cart("ann").Add(sku, 2)).Succeeded);
        var orderId = Silos.NewKey("ord");

        var placed = await shop.Order(orderId).Place(PayFor(purchase));

        Assert.True(placed.Succeeded, placed.Message);
        var order = placed.Order!;
        // 9.50 at the sale's price, standard shipping 4.95 (under 50), 19 % tax for DE on both.
        Assert.Equal((OrderStatus.Confirmed, 9.50m, 4.95m, 2.75m, 17.20m), (order.Status, order.Subtotal.Amount, order.Shipping.Amount, order.Tax.Amount, order.Total.Amount));
        Assert.Equal((sku, 1, SalePrice), (order.Lines.Single().Sku, order.Lines.Single().Quantity, order.Lines.Single().UnitPrice));
        Assert.Equal(new FlashSalePurchaseRef(purchase.SaleId, purchase.PurchaseId), order.FlashSale);
        Assert.Equal((PaymentStatus.Captured, 17.20m), ((await shop.PaymentOf(orderId).Get())!.Status, (await shop.PaymentOf(orderId).Get())!.Captured));

        // The unit left the sale's pool as sold stock; the other two stay in the pool.
        var stock = (await shop.Inventory(sku).GetStock())!;
        Assert.Equal((9, 2, 7), (stock.OnHand, stock.Reserved, stock.Available));
        var status = (await sale.GetStatus())!;
        Assert.Equal((1, 1, 0, 0), (status.UnitsSold, status.UnitsPaid, status.UnitsAwaitingPayment, status.UnitsExpired));
        var place = (await sale.GetQueueStatus("ann")).Status!;
        Assert.Equal((QueueEntryState.Paid, orderId), (place.State, place.OrderId));
        Assert.Equal((PurchaseState.Paid, orderId), ((await sale.GetPurchase("ann", purchase.PurchaseId)).Purchase!.State, (await sale.GetPurchase("ann", purchase.PurchaseId)).Purchase!.OrderId));
        Assert.Equal(2, Assert.Single((await shop.Cart("ann").Get()).Lines).Quantity);

        // One purchase, one paid order: the same key replays it, another key is refused.
        Assert.True((await shop.Order(orderId).Place(PayFor(purchase))).Replayed);
        Assert.Equal(PlaceOrderError.PurchasePaid, (await shop.Order(Silos.NewKey("ord")).Place(PayFor(purchase))).Error);
        Assert.Single(await shop.GatewayCharges(orderId));
    }

    [Fact]
    public async Task Only_the_buyer_may_pay_and_only_for_a_purchase_that_exists()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var (sale, _, probe) = await LiveSale(shop, stock: 5, units: 2);
        var purchase = (await Bought(sale, probe, ["ann"], 1)).Single();

        var byAnother = await shop.Order(Silos.NewKey("ord")).Place(PayFor(purchase) with { CustomerId = "bob" });
        var unknown = await shop.Order(Silos.NewKey("ord")).Place(PayFor(purchase with { PurchaseId = "p-none" }));

        Assert.Equal((PlaceOrderError.UnknownPurchase, "purchaseId"), (byAnother.Error, byAnother.Field));
        Assert.Equal(PlaceOrderError.UnknownPurchase, unknown.Error);
        Assert.Equal(FlashSaleError.NotFound, (await sale.GetPurchase("bob", purchase.PurchaseId)).Error);
        Assert.Equal(PurchaseState.AwaitingPayment, (await sale.GetPurchase("ann", purchase.PurchaseId)).Purchase!.State);
    }

    [Fact]
    public async Task A_declined_card_gives_the_purchase_back_to_its_buyer_who_may_pay_with_another()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var (sale, sku, probe) = await LiveSale(shop, stock: 4, units: 2);
        var purchase = (await Bought(sale, probe, ["ann"], 1)).Single();

        var declined = await shop.Order(Silos.NewKey("ord")).Place(PayFor(purchase, Shop.Declined));
        Assert.Equal((PlaceOrderError.PaymentDeclined, OrderStatus.Cancelled), (declined.Error, declined.Order!.Status));
        var afterDecline = (await sale.GetPurchase("ann", purchase.PurchaseId)).Purchase!;
        Assert.Equal((PurchaseState.AwaitingPayment, null), (afterDecline.State, afterDecline.OrderId));
        Assert.Equal(QueueEntryState.Purchased, (await sale.GetQueueStatus("ann")).Status!.State);

        var paid = await shop.Order(Silos.NewKey("ord")).Place(PayFor(purchase, fingerprint: "body-2"));
        Assert.True(paid.Succeeded, paid.Message);
        var stock = (await shop.Inventory(sku).GetStock())!;
        Assert.Equal((3, 1, 2), (stock.OnHand, stock.Reserved, stock.Available));
        Assert.All(await shop.GatewayCharges(declined.Order.OrderId), c => Assert.Equal(0m, c.Captured));
    }

    [Fact]
    public async Task An_unpaid_purchase_goes_back_to_the_sale_for_the_next_buyer_and_never_to_regular_stock()
    {
        // The defect: 2 units, 2 purchases acknowledged, their holds expired into regular stock, and a
        // regular order sold the same 2 units again while the sale still counted them sold.
        var shop = await Shop.Open(database, sales: o => o.PayWithin = TimeSpan.FromSeconds(1.5));
        await using var silo = shop.Silo;
        var (sale, sku, probe) = await LiveSale(shop, stock: 2, units: 2);
        var purchases = await Bought(sale, probe, ["ann", "bob", "cid", "dan"], 2);
        var waiting = (await sale.GetQueueStatus("cid")).Status!;
        Assert.Equal((QueueEntryState.SoldOut, 1L), (waiting.State, waiting.Position));

        // Neither pays: their units go back to the pool, and the next two in the queue get them.
        var cid = await probe.AdmissionOf("cid");
        var dan = await probe.AdmissionOf("dan");
        Assert.Equal(QueueEntryState.Expired, (await sale.GetQueueStatus("ann")).Status!.State);
        Assert.Equal(FlashSaleError.PurchaseExpired, (await sale.ClaimForCheckout("ann", purchases[0].PurchaseId, "late-order")).Error);
        var late = await shop.Order(Silos.NewKey("ord")).Place(PayFor(purchases[1]));
        Assert.Equal(PlaceOrderError.PurchaseExpired, late.Error);
        Assert.Equal(ReservationError.InsufficientStock, (await shop.Inventory(sku).Reserve(new ReserveStock("regular", 1))).Error);

        // cid buys and pays; dan's token still claims the other unit.
        var cidBought = (await sale.Purchase(new PurchaseRequest("cid", cid.Value, 1, "k-cid"))).Purchase!;
        Assert.True((await shop.Order(Silos.NewKey("ord")).Place(PayFor(cidBought))).Succeeded);

        var status = (await sale.GetStatus())!;
        Assert.Equal((1, 1, 2, 1), (status.UnitsSold, status.UnitsPaid, status.UnitsExpired, status.TokensOutstanding));
        var stock = (await shop.Inventory(sku).GetStock())!;
        Assert.Equal((1, 1, 0), (stock.OnHand, stock.Reserved, stock.Available));
    }

    [Fact]
    public async Task A_purchase_under_checkout_does_not_expire_and_a_second_checkout_is_refused()
    {
        var shop = await Shop.Open(database, sales: o => o.PayWithin = TimeSpan.FromSeconds(1));
        await using var silo = shop.Silo;
        var (sale, sku, probe) = await LiveSale(shop, stock: 3, units: 2);
        var purchases = await Bought(sale, probe, ["ann", "bob", "cid"], 2);
        var purchase = purchases[0];

        // A saga claims ann's purchase, then its payment takes longer than the purchase's window.
        Assert.True((await sale.ClaimForCheckout("ann", purchase.PurchaseId, "ord-slow")).Succeeded);
        Assert.Equal(FlashSaleError.CheckoutInProgress, (await sale.ClaimForCheckout("ann", purchase.PurchaseId, "ord-other")).Error);
        // bob's later purchase expiring (cid gets its unit) proves the expiry ran past ann's time too.
        await probe.AdmissionOf("cid");
        Assert.Equal(QueueEntryState.Expired, (await sale.GetQueueStatus("bob")).Status!.State);
        Assert.Equal(QueueEntryState.Purchased, (await sale.GetQueueStatus("ann")).Status!.State);

        // Still claimed, the order completes; handing the units over is idempotent.
        var sold = await sale.CompleteCheckout(purchase.PurchaseId, "ord-slow", "order:ord-slow");
        Assert.Equal(sold, await sale.CompleteCheckout(purchase.PurchaseId, "ord-slow", "order:ord-slow"));
        Assert.Equal(PurchaseState.Paid, sold.Purchase!.State);
        var stock = (await shop.Inventory(sku).GetStock())!;
        // One unit sold; cid's token claims the other, still in the sale's pool.
        Assert.Equal((2, 1, 1), (stock.OnHand, stock.Reserved, stock.Available));
    }

    [Theory]
    [InlineData(SagaStep.ReserveStock, true)]
    [InlineData(SagaStep.ConfirmReservations, true)]
    [InlineData(SagaStep.ConfirmReservations, false)]
    public async Task A_crash_in_a_flash_sale_orders_saga_resumes_to_exactly_one_paid_order(SagaStep step, bool afterEffect)
    {
        var crash = new CrashOnce(step, afterEffect);
        var shop = await Shop.Open(database, crash);
        await using var silo = shop.Silo;
        var (sale, sku, probe) = await LiveSale(shop, stock: 5, units: 2);
        var purchase = (await Bought(sale, probe, ["ann"], 1)).Single();
        var orderId = Silos.NewKey("ord");

        await shop.Order(orderId).Place(PayFor(purchase));

        var order = await shop.Settled(orderId);
        Assert.True(crash.Crashed);
        Assert.Equal(OrderStatus.Confirmed, order.Status);
        var charge = Assert.Single(await shop.GatewayCharges(orderId));
        Assert.Equal(("Captured", order.Total.Amount), (charge.Status, charge.Captured));
        var stock = (await shop.Inventory(sku).GetStock())!;
        Assert.Equal((4, 1, 3), (stock.OnHand, stock.Reserved, stock.Available));
        var status = (await sale.GetStatus())!;
        Assert.Equal((1, 1), (status.UnitsSold, status.UnitsPaid));
    }

    [Fact]
    public async Task When_a_sale_ends_unsold_units_return_at_once_and_unpaid_ones_once_their_time_is_up()
    {
        var shop = await Shop.Open(database, sales: o => o.PayWithin = TimeSpan.FromSeconds(1.5));
        await using var silo = shop.Silo;
        var (sale, sku, probe) = await LiveSale(shop, stock: 10, units: 4);
        var purchases = await Bought(sale, probe, ["ann", "bob"], 2);
        Assert.True((await shop.Order(Silos.NewKey("ord")).Place(PayFor(purchases[0]))).Succeeded);

        var cancelled = (await sale.Cancel("ops")).Sale!;
        // Two units nobody bought are back at once; bob's unit waits for bob until his time is up.
        Assert.Equal((2, 1), (cancelled.UnitsReturnedToInventory, cancelled.UnitsAwaitingPayment));
        Assert.Equal((9, 1, 8), Levels((await shop.Inventory(sku).GetStock())!));

        var done = await Eventually.Value(sale.GetStatus, s => s!.UnitsReturnedToInventory == 3);
        Assert.Equal((1, 1, 0), (done!.UnitsPaid, done.UnitsExpired, done.UnitsAwaitingPayment));
        Assert.Equal((9, 0, 9), Levels((await shop.Inventory(sku).GetStock())!));
        Assert.Empty(await shop.Inventory(sku).GetHolds());
    }

    private static (int OnHand, int Reserved, int Available) Levels(StockSnapshot stock) => (stock.OnHand, stock.Reserved, stock.Available);
}
