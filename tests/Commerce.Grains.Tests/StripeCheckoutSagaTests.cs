using Commerce.Grains.Orders;
using Commerce.Grains.Payments;
using Commerce.Payments;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Grains.Tests;

/// <summary>The checkout saga with the Stripe provider, against the loopback stand-in for Stripe: crashes and timeouts never charge twice.</summary>
public sealed class StripeCheckoutSagaTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>, IAsyncLifetime
{
    private StripeStandIn stripe = null!;

    public async Task InitializeAsync() => stripe = await StripeStandIn.StartAsync();

    public async Task DisposeAsync() => await stripe.DisposeAsync();

    private async Task<(Shop Shop, string Customer, string OrderId)> ReadyToOrder(OrderSagaInterceptor? interceptor, TimeSpan requestTimeout, int retries, TimeProvider? clock = null)
    {
        var gateway = new StripePaymentGateway(Options.Create(new StripeOptions
        {
            SecretKey = StripeStandIn.SecretKey, ApiBase = stripe.ApiBase, RequestTimeout = requestTimeout, Retries = retries, RetryDelay = TimeSpan.FromMilliseconds(10),
        }), new PaymentProviderHealth(TimeProvider.System), NullLogger<StripePaymentGateway>.Instance);
        var shop = await Shop.Open(database, interceptor, clock, more: services => services.AddSingleton<IPaymentGateway>(gateway));
        var sku = await shop.Sku(30m, 5);
        return (shop, await shop.CustomerWith(sku, 2), Silos.NewKey("ord"));
    }

    private async Task<OrderView> Settled(Shop shop, string orderId) =>
        await Eventually.Value(() => shop.Order(orderId).Get(), o => o is { InProgress: false }, $"order {orderId} settled", Silos.Patience) ?? throw new InvalidOperationException();

    /// <summary>The one intent of the order's payment, captured once for the whole total.</summary>
    private void AssertCapturedOnce(string orderId, OrderView order)
    {
        var intent = Assert.Single(stripe.IntentsWithMetadata(StripePaymentGateway.PaymentIdKey, OrderGrain.PaymentIdOf(orderId)));
        Assert.Equal("succeeded", intent["status"]!.GetValue<string>());
        Assert.Equal(MinorUnits.ToMinor(order.Total), intent["amount_received"]!.GetValue<long>());
        var captures = stripe.Requests.Where(r => r.Path == $"/v1/payment_intents/{intent["id"]}/capture").ToList();
        Assert.NotEmpty(captures);
        Assert.All(captures, r => Assert.Equal(OrderGrain.PaymentIdOf(orderId) + ":capture", r.IdempotencyKey));
    }

    [Fact]
    public async Task A_crash_of_the_silo_between_authorization_and_capture_captures_once_after_the_restart()
    {
        var crash = new CrashOnce(SagaStep.CapturePayment, afterEffect: false);
        var (shop, customer, orderId) = await ReadyToOrder(crash, TimeSpan.FromSeconds(20), retries: 3);
        await using var silo = shop.Silo;

        Assert.Equal(PlaceOrderError.InProgress, (await shop.Order(orderId).Place(Shop.Checkout(customer))).Error);
        Assert.True(crash.Crashed);
        await silo.RestartAsync();

        var order = await Settled(shop, orderId);
        Assert.Equal(OrderStatus.Confirmed, order.Status);
        AssertCapturedOnce(orderId, order);
        Assert.Equal(1, stripe.RequestsEndingWith("/capture"));
        Assert.Equal(1, stripe.RequestsTo("/v1/payment_intents"));
    }

    [Fact]
    public async Task A_capture_that_times_out_every_try_leaves_the_order_pending_and_the_reminder_captures_once_with_the_same_key()
    {
        // No retries in the gateway: the saga's reminder is what asks again. The timeout is well above a loaded
        // machine's answer time (every call, not only the capture, runs under it) and well below the stand-in's 5 s hold.
        var (shop, customer, orderId) = await ReadyToOrder(null, TimeSpan.FromSeconds(2), retries: 0);
        await using var silo = shop.Silo;
        stripe.TimeOutNext(1, pathEndingWith: "/capture");
        var placed = await shop.Order(orderId).Place(Shop.Checkout(customer));
        // Confirmed (authorized) and still in progress: the capture is in doubt, not failed.
        Assert.Equal(PlaceOrderError.InProgress, placed.Error);
        Assert.Equal(OrderStatus.Confirmed, placed.Order!.Status);

        var order = await Settled(shop, orderId);
        Assert.Equal(OrderStatus.Confirmed, order.Status);
        AssertCapturedOnce(orderId, order);
        Assert.Equal(2, stripe.RequestsEndingWith("/capture"));
    }

    [Fact]
    public async Task A_checkout_waiting_for_3DS_outlives_its_reminder_ticks_and_unwinds_after_the_authentication_timeout()
    {
        var clock = new ManualClock();
        var runs = new StepRuns();
        var (shop, customer, orderId) = await ReadyToOrder(runs, TimeSpan.FromSeconds(20), retries: 3, clock);
        await using var silo = shop.Silo;

        var placed = await shop.Order(orderId).Place(Shop.Checkout(customer, Shop.AuthenticationRequired));
        Assert.Equal((PlaceOrderError.InProgress, OrderStatus.Pending), (placed.Error, placed.Order!.Status));
        var intent = Assert.Single(stripe.IntentsWithMetadata(StripePaymentGateway.PaymentIdKey, OrderGrain.PaymentIdOf(orderId)));
        var intentId = intent["id"]!.GetValue<string>();
        Assert.Equal(intent["client_secret"]!.GetValue<string>(), placed.Order.PaymentAction!.ClientSecret);

        // The reminder (every 200 ms here) runs the waiting step again and again, and does not give up on its own.
        var before = runs.Of(orderId, SagaStep.AuthorizePayment);
        await Eventually.Value(() => Task.FromResult(runs.Of(orderId, SagaStep.AuthorizePayment)), n => n >= before + 3, "three reminder ticks", Silos.Patience);
        var waiting = (await shop.Order(orderId).Get())!;
        Assert.Equal((OrderStatus.Pending, true), (waiting.Status, waiting.InProgress));
        Assert.Equal(placed.Order.PaymentAction, waiting.PaymentAction);

        clock.Now += new OrderOptions().AuthenticationTimeout;
        var order = await Settled(shop, orderId);
        Assert.Equal((OrderStatus.Cancelled, "authentication-timeout"), (order.Status, order.CancellationCode));
        Assert.Null(order.PaymentAction);
        // The intent is cancelled at Stripe, so a late authentication can hold nothing; nothing was captured.
        Assert.Equal("canceled", stripe.Intent(intentId)!["status"]!.GetValue<string>());
        Assert.Equal(0, stripe.RequestsEndingWith("/capture"));
        Assert.Equal(PaymentStatus.Voided, (await shop.Silo.GrainFactory.GetGrain<IPaymentGrain>(OrderGrain.PaymentIdOf(orderId)).Get())!.Status);
    }
}

/// <summary>Counts the saga's runs of each step per order (the reminder's ticks included).</summary>
internal sealed class StepRuns : OrderSagaInterceptor
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, SagaStep), int> runs = new();

    public int Of(string orderId, SagaStep step) => runs.GetValueOrDefault((orderId, step));

    public override Task BeforeStep(string orderId, SagaStep step)
    {
        runs.AddOrUpdate((orderId, step), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}
