using Commerce.Grains.Orders;
using Commerce.Grains.Payments;
using Commerce.Payments;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Grains.Tests;

/// <summary>Stands in for a crash: throws once at the chosen point of the chosen step, then lets the saga through.</summary>
internal sealed class CrashOnce(SagaStep step, bool afterEffect) : OrderSagaInterceptor
{
    private int _crashed;

    public bool Crashed => _crashed == 1;

    public override Task BeforeStep(string orderId, SagaStep current) => Crash(current, !afterEffect);

    public override Task AfterEffect(string orderId, SagaStep current) => Crash(current, afterEffect);

    private Task Crash(SagaStep current, bool here) =>
        here && current == step && Interlocked.Exchange(ref _crashed, 1) == 0
            ? throw new InvalidOperationException($"Simulated crash at {step} ({(afterEffect ? "after its effect" : "before it")})")
            : Task.CompletedTask;
}

/// <summary>The checkout saga on a real PostgreSQL: placement, compensation, idempotency, crashes at every step.</summary>
public sealed class CheckoutSagaTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    /// <summary>A silo, a SKU at <paramref name="price"/> with <paramref name="stock"/> units, a customer with <paramref name="quantity"/> in the cart, and a new order id.</summary>
    private async Task<(Shop Shop, string Sku, string Customer, string OrderId)> ReadyToOrder(decimal price, int stock, int quantity, OrderSagaInterceptor? interceptor = null)
    {
        var shop = await Shop.Open(database, interceptor);
        var sku = await shop.Sku(price, stock);
        return (shop, sku, await shop.CustomerWith(sku, quantity), Silos.NewKey("ord"));
    }

    [Fact]
    public async Task A_placed_order_is_paid_its_stock_sold_its_cart_cleared_and_its_event_journaled()
    {
        var (shop, sku, customer, orderId) = await ReadyToOrder(25m, stock: 10, quantity: 2);
        await using var silo = shop.Silo;

        var placed = await shop.Order(orderId).Place(Shop.Checkout(customer));

        Assert.True(placed.Succeeded, placed.Message);
        var order = placed.Order!;
        // 50 ships free by standard shipping; 19 % tax for DE.
        Assert.Equal((OrderStatus.Confirmed, false, 50m, 0m, 9.50m, 59.50m), (order.Status, order.InProgress, order.Subtotal.Amount, order.Shipping.Amount, order.Tax.Amount, order.Total.Amount));
        Assert.Equal((8, 0), ((await shop.Inventory(sku).GetStock())!.OnHand, (await shop.Inventory(sku).GetStock())!.Reserved));
        var payment = (await shop.PaymentOf(orderId).Get())!;
        Assert.Equal((PaymentStatus.Captured, 59.50m), (payment.Status, payment.Captured));
        Assert.Empty((await shop.Cart(customer).Get()).Lines);
        var journal = await new Persistence.GrainStateStore(database.DataSource)
            .ReadJournalAsync("Order", orderId, "order", OrderGrain.PlacedEventKind, 0, 10, CancellationToken.None);
        Assert.Single(journal);
    }

    [Theory]
    [InlineData("pm_card_chargeDeclined", "card_declined")]
    [InlineData("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds")]
    public async Task A_declined_card_cancels_the_order_with_no_hold_and_no_charge(string paymentMethod, string code)
    {
        var (shop, sku, customer, orderId) = await ReadyToOrder(10m, stock: 3, quantity: 1);
        await using var silo = shop.Silo;

        var result = await shop.Order(orderId).Place(Shop.Checkout(customer, Shop.Visa with { PaymentMethodId = paymentMethod }));

        Assert.Equal(PlaceOrderError.PaymentDeclined, result.Error);
        Assert.Equal(code, result.DeclineCode);
        Assert.Contains(code, result.Message);
        Assert.Equal((OrderStatus.Cancelled, "payment-declined"), (result.Order!.Status, result.Order.CancellationCode));
        Assert.Empty(await shop.Inventory(sku).GetHolds());
        Assert.Equal(3, (await shop.Inventory(sku).GetStock())!.Available);
        Assert.Empty(await shop.GatewayCharges(orderId));
        Assert.Single((await shop.Cart(customer).Get()).Lines);
    }

    [Fact]
    public async Task A_3DS_checkout_with_the_built_in_gateway_waits_for_the_customer_and_its_timeout_voids_the_waiting_charge()
    {
        var clock = new ManualClock();
        var shop = await Shop.Open(database, clock: clock);
        await using var silo = shop.Silo;
        var sku = await shop.Sku(10m, 3);
        var customer = await shop.CustomerWith(sku, 1);
        var orderId = Silos.NewKey("ord");

        var placed = await shop.Order(orderId).Place(Shop.Checkout(customer, Shop.AuthenticationRequired));
        Assert.Equal((PlaceOrderError.InProgress, OrderStatus.Pending), (placed.Error, placed.Order!.Status));
        var action = placed.Order.PaymentAction!;
        var total = placed.Order.Total.Amount;
        Assert.Equal("redirect_to_url", action.NextAction);
        Assert.StartsWith("/payments/authenticate?charge=", action.RedirectUrl);
        Assert.Equal(new[] { ("RequiresAction", total, 0m, 0m) }, await shop.GatewayCharges(orderId));
        Assert.Equal(PaymentStatus.RequiresAction, (await shop.PaymentOf(orderId).Get())!.Status);
        Assert.Equal(2, (await shop.Inventory(sku).GetStock())!.Available);
        // The gateway answers the payment's key again with the same action, and will not capture a charge nothing was held for.
        var gateway = silo.Services.GetRequiredService<TestModePaymentGateway>();
        var paymentId = OrderGrain.PaymentIdOf(orderId);
        var replayed = await gateway.Authorize(paymentId + ":authorize", Shop.AuthenticationRequired.PaymentMethodId, placed.Order.Total, new PaymentReference(paymentId, orderId), CancellationToken.None);
        Assert.Equal((ChargeStatus.RequiresAction, action), (replayed.Charge!.Status, replayed.Action));
        var chargeId = replayed.Charge.ChargeId;
        Assert.Equal("charge_not_capturable", (await gateway.Capture(Silos.NewKey("capture"), chargeId, placed.Order.Total, CancellationToken.None)).FailureCode);

        // Nobody authenticates: past the timeout the order unwinds, and voiding the waiting charge does not throw.
        clock.Now += new OrderOptions().AuthenticationTimeout;
        var order = await shop.Settled(orderId);
        Assert.Equal((OrderStatus.Cancelled, "authentication-timeout"), (order.Status, order.CancellationCode));
        Assert.Equal(new[] { ("Voided", total, 0m, 0m) }, await shop.GatewayCharges(orderId));
        Assert.Equal(PaymentStatus.Voided, (await shop.PaymentOf(orderId).Get())!.Status);
        Assert.Empty(await shop.Inventory(sku).GetHolds());
        Assert.Equal(3, (await shop.Inventory(sku).GetStock())!.Available);

        // A late authentication holds nothing: the charge no longer waits.
        var late = await gateway.Authenticate(chargeId, action.ClientSecret, succeeded: true, CancellationToken.None);
        Assert.Equal(TestAuthenticationError.NotWaiting, late.Error);
        Assert.Equal(new[] { ("Voided", total, 0m, 0m) }, await shop.GatewayCharges(orderId));
    }

    [Fact]
    public async Task Two_shoppers_racing_for_the_last_unit_make_one_order_and_one_clear_out_of_stock()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var sku = await shop.Sku(99m, 1);
        var first = await shop.CustomerWith(sku, 1);
        var second = await shop.CustomerWith(sku, 1);

        var results = await Task.WhenAll(
            shop.Order(Silos.NewKey("ord")).Place(Shop.Checkout(first)),
            shop.Order(Silos.NewKey("ord")).Place(Shop.Checkout(second)));

        Assert.Single(results, r => r.Succeeded);
        var loser = Assert.Single(results, r => !r.Succeeded);
        Assert.Equal(PlaceOrderError.OutOfStock, loser.Error);
        Assert.Contains(sku, loser.Message);
        var stock = (await shop.Inventory(sku).GetStock())!;
        Assert.Equal((0, 0), (stock.OnHand, stock.Reserved));
        if (loser.Order is { } cancelled)
        {
            Assert.Empty(await shop.GatewayCharges(cancelled.OrderId));
        }
    }

    [Fact]
    public async Task Concurrent_duplicates_place_one_order_with_one_authorization_and_get_the_same_answer()
    {
        var (shop, sku, customer, orderId) = await ReadyToOrder(12m, stock: 100, quantity: 3);
        await using var silo = shop.Silo;

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => shop.Order(orderId).Place(Shop.Checkout(customer))));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Message));
        Assert.Single(results, r => !r.Replayed);
        Assert.Single(results.Select(r => r.Order!.Version).Distinct());
        Assert.Single(await shop.GatewayCharges(orderId));
        Assert.Equal(97, (await shop.Inventory(sku).GetStock())!.OnHand);
    }

    [Fact]
    public async Task The_same_key_with_another_request_is_refused_and_a_refused_checkout_writes_nothing()
    {
        var (shop, sku, customer, orderId) = await ReadyToOrder(12m, stock: 100, quantity: 1);
        await using var silo = shop.Silo;
        Assert.True((await shop.Order(orderId).Place(Shop.Checkout(customer))).Succeeded);

        var reused = await shop.Order(orderId).Place(Shop.Checkout(customer, fingerprint: "another body"));
        Assert.Equal((PlaceOrderError.KeyReused, "Idempotency-Key"), (reused.Error, reused.Field));

        var empty = Silos.NewKey("ord");
        Assert.Equal(PlaceOrderError.CartEmpty, (await shop.Order(empty).Place(Shop.Checkout(Silos.NewKey("cus")))).Error);
        Assert.Null(await shop.Order(empty).Get());
    }

    [Fact]
    public async Task A_changed_price_stops_checkout_until_the_customer_accepts_it()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var sku = await shop.Sku(12m, 100);
        var customer = await shop.CustomerWith(sku, 1);
        await shop.SetPrice(sku, 14m);

        var refused = await shop.Order(Silos.NewKey("ord")).Place(Shop.Checkout(customer));
        Assert.Equal(PlaceOrderError.CartNeedsReview, refused.Error);
        await shop.Cart(customer).AcceptPriceChanges();
        var placed = await shop.Order(Silos.NewKey("ord")).Place(Shop.Checkout(customer));
        Assert.Equal(14m, placed.Order!.Subtotal.Amount);
    }

    public static TheoryData<SagaStep, bool> CrashPoints()
    {
        var points = new TheoryData<SagaStep, bool>();
        foreach (var step in new[] { SagaStep.ReserveStock, SagaStep.AuthorizePayment, SagaStep.MarkConfirmed, SagaStep.CapturePayment, SagaStep.ConfirmReservations, SagaStep.ClearCart, SagaStep.EmitPlaced })
        {
            points.Add(step, false);
            points.Add(step, true);
        }
        return points;
    }

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task A_crash_at_any_saga_step_then_a_restart_ends_placed_and_paid(SagaStep step, bool afterEffect)
    {
        var crash = new CrashOnce(step, afterEffect);
        var (shop, sku, customer, orderId) = await ReadyToOrder(30m, stock: 5, quantity: 2, crash);
        await using var silo = shop.Silo;

        var first = await shop.Order(orderId).Place(Shop.Checkout(customer));
        Assert.True(crash.Crashed);
        Assert.Equal(PlaceOrderError.InProgress, first.Error);
        await silo.RestartAsync();

        await shop.AssertConsistent(orderId, sku, 2, stockBefore: 5);
        Assert.Equal(OrderStatus.Confirmed, (await shop.Order(orderId).Get())!.Status);
        Assert.Empty((await shop.Cart(customer).Get()).Lines);
        // A retry of the checkout now gets the saved answer.
        var retry = await shop.Order(orderId).Place(Shop.Checkout(customer));
        Assert.True(retry.Succeeded && retry.Replayed);
    }

    [Theory]
    [InlineData(SagaStep.AuthorizePayment, true)]
    [InlineData(SagaStep.Unwind, false)]
    [InlineData(SagaStep.Unwind, true)]
    public async Task A_crash_while_a_declined_order_unwinds_ends_cancelled_with_nothing_held_or_charged(SagaStep step, bool afterEffect)
    {
        var crash = new CrashOnce(step, afterEffect);
        var (shop, sku, customer, orderId) = await ReadyToOrder(30m, stock: 5, quantity: 2, crash);
        await using var silo = shop.Silo;

        await shop.Order(orderId).Place(Shop.Checkout(customer, Shop.InsufficientFunds));
        Assert.True(crash.Crashed);
        await silo.RestartAsync();

        await shop.AssertConsistent(orderId, sku, 2, stockBefore: 5);
        Assert.Equal(OrderStatus.Cancelled, (await shop.Order(orderId).Get())!.Status);
    }

    [Fact]
    public async Task A_stop_with_the_saga_interrupted_is_finished_by_the_reminder_alone()
    {
        var crash = new CrashOnce(SagaStep.CapturePayment, afterEffect: true);
        var (shop, sku, customer, orderId) = await ReadyToOrder(30m, stock: 5, quantity: 1, crash);
        await using var silo = shop.Silo;
        await shop.Order(orderId).Place(Shop.Checkout(customer));
        await silo.StopAsync();
        // Captured at the gateway, not yet recorded by the order: nothing is lost across the stop.
        Assert.Equal("Captured", Assert.Single(await shop.GatewayCharges(orderId)).Status);

        await silo.RestartAsync();
        await shop.AssertConsistent(orderId, sku, 1, stockBefore: 5);
    }

    [Fact]
    public async Task Orders_move_along_the_state_machine_and_illegal_transitions_change_nothing()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var sku = await shop.Sku(40m, 5);
        var orderId = Silos.NewKey("ord");
        await shop.Order(orderId).Place(Shop.Checkout(await shop.CustomerWith(sku, 1)));
        var order = shop.Order(orderId);

        Assert.Equal(OrderError.IllegalTransition, (await order.Transition(OrderAction.Ship, "ops", null)).Error);
        Assert.Equal(OrderStatus.Processing, (await order.Transition(OrderAction.StartProcessing, "ops", null)).Order!.Status);
        Assert.Equal(OrderStatus.Shipped, (await order.Transition(OrderAction.Ship, "ops", "DHL 123")).Order!.Status);
        var lateCancel = await order.Transition(OrderAction.Cancel, "customer", null);
        Assert.Equal((OrderError.IllegalTransition, OrderStatus.Shipped), (lateCancel.Error, lateCancel.Order!.Status));
        Assert.Equal(OrderError.IllegalTransition, (await order.Transition(OrderAction.RequestReturn, "customer", null)).Error);
        Assert.Equal(OrderStatus.Delivered, (await order.Transition(OrderAction.Deliver, "ops", null)).Order!.Status);
        Assert.Equal(OrderError.IllegalTransition, (await order.Transition(OrderAction.RefundReturn, "ops", null)).Error);
        Assert.Equal(OrderStatus.ReturnRequested, (await order.Transition(OrderAction.RequestReturn, "customer", "too small")).Order!.Status);
        Assert.Equal(OrderStatus.ReturnApproved, (await order.Transition(OrderAction.ApproveReturn, "ops", null)).Order!.Status);
        Assert.Equal(4, (await shop.Inventory(sku).GetStock())!.OnHand);

        var refunded = (await order.Transition(OrderAction.RefundReturn, "ops", null)).Order!;
        Assert.Equal(OrderStatus.Refunded, refunded.Status);
        Assert.Equal(5, (await shop.Inventory(sku).GetStock())!.OnHand);
        var payment = (await shop.PaymentOf(orderId).Get())!;
        Assert.Equal((PaymentStatus.Refunded, payment.Captured), (payment.Status, payment.Refunded));
        Assert.Equal(OrderError.IllegalTransition, (await order.Transition(OrderAction.Cancel, "ops", null)).Error);
    }

    [Fact]
    public async Task Cancelling_before_shipping_restocks_and_refunds_what_partial_refunds_left()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var sku = await shop.Sku(100m, 5);
        var orderId = Silos.NewKey("ord");
        var total = (await shop.Order(orderId).Place(Shop.Checkout(await shop.CustomerWith(sku, 1)))).Order!.Total.Amount;
        var payment = shop.PaymentOf(orderId);

        Assert.Equal(PaymentStatus.PartiallyRefunded, (await payment.Refund("goodwill", 10m, "late")).Payment!.Status);
        Assert.True((await payment.Refund("goodwill", 10m, "late")).Succeeded);
        Assert.Equal(PaymentError.RefundIdReused, (await payment.Refund("goodwill", 11m, "late")).Error);
        Assert.Equal(PaymentError.AmountTooLarge, (await payment.Refund("too-much", total, "oops")).Error);

        var cancelled = (await shop.Order(orderId).Transition(OrderAction.Cancel, "customer", "changed my mind")).Order!;
        Assert.Equal((OrderStatus.Cancelled, false), (cancelled.Status, cancelled.InProgress));
        Assert.Equal(5, (await shop.Inventory(sku).GetStock())!.OnHand);
        var view = (await payment.Get())!;
        Assert.Equal((PaymentStatus.Refunded, total, total), (view.Status, view.Captured, view.Refunded));
        var charge = Assert.Single(await shop.GatewayCharges(orderId));
        Assert.Equal(total, charge.Refunded);
    }

    [Fact]
    public async Task With_capture_at_shipment_the_card_is_charged_when_the_order_ships_and_a_cancellation_before_charges_nothing()
    {
        var shop = await Shop.Open(database, more: services => services.Configure<OrderOptions>(o => o.CaptureAt = PaymentCapture.Shipment));
        await using var silo = shop.Silo;
        var sku = await shop.Sku(30m, 5);
        var shipped = Silos.NewKey("ord");
        var cancelled = Silos.NewKey("ord");
        var placed = (await shop.Order(shipped).Place(Shop.Checkout(await shop.CustomerWith(sku, 1)))).Order!;
        Assert.True((await shop.Order(cancelled).Place(Shop.Checkout(await shop.CustomerWith(sku, 1)))).Succeeded);

        // Confirmed and its stock sold, but only authorized: nothing is charged yet.
        Assert.Equal(OrderStatus.Confirmed, placed.Status);
        Assert.Equal(3, (await shop.Inventory(sku).GetStock())!.OnHand);
        Assert.Equal(("Authorized", 0m), (Assert.Single(await shop.GatewayCharges(shipped)).Status, Assert.Single(await shop.GatewayCharges(shipped)).Captured));
        Assert.Equal(PaymentStatus.Authorized, (await shop.PaymentOf(shipped).Get())!.Status);

        Assert.True((await shop.Order(shipped).Transition(OrderAction.StartProcessing, "ops", null)).Succeeded);
        Assert.Equal(OrderStatus.Shipped, (await shop.Order(shipped).Transition(OrderAction.Ship, "ops", null)).Order!.Status);
        var charge = Assert.Single(await shop.GatewayCharges(shipped));
        Assert.Equal(("Captured", placed.Total.Amount), (charge.Status, charge.Captured));
        Assert.Equal(PaymentStatus.Captured, (await shop.PaymentOf(shipped).Get())!.Status);

        // Cancelled before it ships: the authorization is voided, nothing was ever captured.
        Assert.Equal(OrderStatus.Cancelled, (await shop.Order(cancelled).Transition(OrderAction.Cancel, "customer", null)).Order!.Status);
        Assert.Equal(("Voided", 0m), (Assert.Single(await shop.GatewayCharges(cancelled)).Status, Assert.Single(await shop.GatewayCharges(cancelled)).Captured));
        Assert.Equal(PaymentStatus.Voided, (await shop.PaymentOf(cancelled).Get())!.Status);
        Assert.Equal(4, (await shop.Inventory(sku).GetStock())!.OnHand);
    }
}
