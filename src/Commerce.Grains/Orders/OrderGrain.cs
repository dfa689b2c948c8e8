using Commerce.Catalog;
using Commerce.Grains.Carts;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Grains.Payments;
using Commerce.Orders;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Grains.Orders;

/// <summary>
/// One order and its checkout saga. Not reentrant: placement, transitions and reminder ticks take
/// turns, so concurrent duplicates of a checkout find the first one's saved answer. Every saga step
/// is idempotent toward the grain it calls (reservation ids, payment idempotency keys, order ids),
/// and its progress is persisted before the next step, so resuming after a crash simply runs the
/// current step again. A durable reminder, registered before the order is first written and
/// removed when the saga is done, does the resuming. An order of a flash-sale purchase runs the
/// same saga, with the sale in place of inventory and cart: it claims the purchase instead of
/// reserving stock, has the sale hand the units over once paid, and gives the claim back when it
/// unwinds — so an unpaid purchase returns to the sale, never to regular stock.
/// </summary>
[GrainType("Order")]
internal sealed class OrderGrain(
    [JournaledState("order")] IJournaledState<OrderState> order,
    OrderIndex index,
    CatalogStore catalog,
    OrderSagaInterceptor interceptor,
    IOptions<CheckoutOptions> checkout,
    [FromKeyedServices(CommerceGrains.Clock)] TimeProvider clock,
    IOptions<OrderOptions> options,
    ILogger<OrderGrain> logger) : Grain, IOrderGrain, IRemindable
{
    public const string PlacedEventKind = "order-placed";
    private const string SagaReminder = "saga";
    private const string SagaActor = "system";

    private OrderState State => order.State;

    private string OrderId => this.GetPrimaryKeyString();

    /// <summary>The order's payment is keyed after the order: one order, one payment.</summary>
    public static string PaymentIdOf(string orderId) => "pay_" + orderId;

    /// <summary>Reservation id of the order's hold on each SKU (the SKU is the inventory grain's key).</summary>
    private string ReservationId => "order:" + OrderId;

    private IPaymentGrain Payment => GrainFactory.GetGrain<IPaymentGrain>(PaymentIdOf(OrderId));

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A crash between a state commit and its index update leaves the index behind: catch up.
        if (State.Exists)
        {
            await UpdateIndex();
        }
    }

    public async Task<PlaceOrderResult> Place(PlaceOrder request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (State.Exists)
        {
            if (request.CustomerId != State.CustomerId || request.RequestFingerprint != State.RequestFingerprint)
            {
                return new PlaceOrderResult(PlaceOrderError.KeyReused, null,
                    "This Idempotency-Key was used for a different checkout request; use a new key for a new order.", "Idempotency-Key");
            }
            await Drive();
            return (State.Response ?? InProgress()) with { Replayed = true };
        }
        var (lines, totals, refused) = request.FlashSale is { } source ? await PriceFlashSalePurchase(request, source) : await PriceCart(request);
        if (refused is not null)
        {
            return refused;
        }
        var now = clock.GetUtcNow();
        State.Exists = true;
        State.CustomerId = request.CustomerId;
        State.RequestFingerprint = request.RequestFingerprint;
        State.PlacedAt = now;
        State.Lines = lines!;
        State.FlashSale = request.FlashSale;
        (State.Subtotal, State.Shipping, State.Tax, State.Total) = (totals!.Subtotal, totals.Shipping, totals.Tax, totals.Total);
        State.ShippingMethod = totals.ShippingMethod;
        State.Region = request.Region.ToUpperInvariant();
        State.Address = request.Address;
        State.Card = request.Card;
        State.Status = OrderStatus.Pending;
        State.Step = SagaStep.ReserveStock;
        State.CaptureAtShipment = options.Value.CaptureAt == PaymentCapture.Shipment;
        State.History.Add(new OrderEvent(OrderStatus.Pending, now, request.CustomerId, null));
        // The reminder first: a crash right after the first write must still find the saga resumable.
        await this.RegisterOrUpdateReminder(SagaReminder, options.Value.SagaRetryInterval, options.Value.SagaRetryInterval);
        await Save();
        await Drive();
        return State.Response ?? InProgress();
    }

    private async Task<(List<OrderLine>? Lines, CartTotals? Totals, PlaceOrderResult? Refusal)> PriceCart(PlaceOrder request)
    {
        var quote = await GrainFactory.GetGrain<ICartGrain>(request.CustomerId).Quote(request.ShippingMethod, request.Region);
        return Refusal(quote) is { } refused
            ? (null, null, refused)
            : ([.. quote.Lines.Select(l => new OrderLine(l.Sku, l.Title, l.Quantity, l.UnitPrice, l.LineTotal))], quote.Totals, null);
    }

    /// <summary>The purchase at the sale's price, shipped and taxed as a cart would be; refused when it cannot be paid for now.</summary>
    private async Task<(List<OrderLine>? Lines, CartTotals? Totals, PlaceOrderResult? Refusal)> PriceFlashSalePurchase(PlaceOrder request, FlashSalePurchaseRef source)
    {
        if (checkout.Value.ShippingRefusal(request.ShippingMethod, request.Region) is var (error, message, _))
        {
            return (null, null, error == CartError.UnknownShippingMethod
                ? new(PlaceOrderError.UnknownShippingMethod, null, message, "shipping.method")
                : new(PlaceOrderError.UnknownRegion, null, message, "shipping.region"));
        }
        var payable = await Sale(source).GetPayablePurchase(request.CustomerId, source.PurchaseId, OrderId);
        if (!payable.Succeeded)
        {
            return (null, null, PurchaseRefusal(payable));
        }
        var purchase = payable.Purchase!;
        var title = (await catalog.GetSkus([purchase.Sku])).GetValueOrDefault(purchase.Sku)?.Title ?? purchase.Sku;
        return ([new OrderLine(purchase.Sku, title, purchase.Quantity, purchase.UnitPrice, purchase.Total)],
            checkout.Value.Totals(purchase.Total.Amount, request.ShippingMethod.ToLowerInvariant(), request.Region), null);
    }

    private static PlaceOrderResult PurchaseRefusal(PurchaseResult refused) => new(refused.Error switch
    {
        FlashSaleError.PurchaseExpired => PlaceOrderError.PurchaseExpired,
        FlashSaleError.AlreadyPaid => PlaceOrderError.PurchasePaid,
        FlashSaleError.CheckoutInProgress => PlaceOrderError.PurchaseInCheckout,
        _ => PlaceOrderError.UnknownPurchase,
    }, null, refused.Message, "purchaseId");

    /// <summary>What stops a checkout before any order exists (nothing is written, so the key can be used again once the cart is fixed).</summary>
    private static PlaceOrderResult? Refusal(CheckoutQuote quote)
    {
        if (quote.Error == CartError.UnknownShippingMethod)
        {
            return new(PlaceOrderError.UnknownShippingMethod, null, quote.Message, "shipping.method");
        }
        if (quote.Error == CartError.UnknownRegion)
        {
            return new(PlaceOrderError.UnknownRegion, null, quote.Message, "shipping.region");
        }
        if (quote.Lines.Count == 0)
        {
            return new(PlaceOrderError.CartEmpty, null, "The cart is empty: there is nothing to order.", "cart");
        }
        if (quote.Lines.FirstOrDefault(l => l.UnavailableReason == "out-of-stock") is { } soldOut)
        {
            return new(PlaceOrderError.OutOfStock, null, $"SKU '{soldOut.Sku}' is out of stock.", "cart.lines." + soldOut.Sku);
        }
        if (quote.HasUnavailableItems || quote.HasPriceChanges)
        {
            var line = quote.Lines.First(l => l.UnavailableReason is not null || l.PriceChanged);
            return new(PlaceOrderError.CartNeedsReview, null,
                line.UnavailableReason is not null
                    ? $"SKU '{line.Sku}' is no longer for sale ({line.UnavailableReason}): remove it from the cart first."
                    : $"The price of SKU '{line.Sku}' changed from {line.PriceSeen} to {line.UnitPrice}: review the cart and accept the new prices first.",
                "cart.lines." + line.Sku);
        }
        return null;
    }

    public async Task<OrderResult> Transition(OrderAction action, string actor, string? note)
    {
        if (!State.Exists)
        {
            return new OrderResult(OrderError.NotFound, null, "There is no such order.");
        }
        if (State.Step != SagaStep.Done)
        {
            return Illegal(action, State.Status == OrderStatus.Pending ? "it is still being placed" : "it is being cancelled");
        }
        var (from, to) = Allowed(action);
        if (!from.Contains(State.Status))
        {
            return Illegal(action, $"it is {State.Status}");
        }
        if (to is OrderStatus.Cancelled or OrderStatus.Refunded)
        {
            // Money and stock go back first; the status changes when they have.
            await this.RegisterOrUpdateReminder(SagaReminder, options.Value.SagaRetryInterval, options.Value.SagaRetryInterval);
            StartUnwinding(to, to == OrderStatus.Cancelled ? "cancelled" : "returned", note ?? (to == OrderStatus.Cancelled ? "Cancelled." : "Returned."), actor);
            await Save();
            await Drive();
        }
        else
        {
            if (to == OrderStatus.Shipped && State.CaptureAtShipment && await Payment.Capture() is { Succeeded: false } refused)
            {
                // Idempotent: a capture that did happen is found, not repeated, when shipping is asked again.
                return new OrderResult(OrderError.PaymentNotCaptured, View(), $"The payment could not be captured ({refused.FailureCode}): {refused.Message}");
            }
            Become(to, actor, note);
            await Save();
        }
        return new OrderResult(OrderError.None, View());
    }

    /// <summary>The order state machine: the statuses an action may start from, and where it leads.</summary>
    private static (OrderStatus[] From, OrderStatus To) Allowed(OrderAction action) => action switch
    {
        OrderAction.StartProcessing => ([OrderStatus.Confirmed], OrderStatus.Processing),
        OrderAction.Ship => ([OrderStatus.Processing], OrderStatus.Shipped),
        OrderAction.Deliver => ([OrderStatus.Shipped], OrderStatus.Delivered),
        OrderAction.Cancel => ([OrderStatus.Confirmed, OrderStatus.Processing], OrderStatus.Cancelled),
        OrderAction.RequestReturn => ([OrderStatus.Delivered], OrderStatus.ReturnRequested),
        OrderAction.ApproveReturn => ([OrderStatus.ReturnRequested], OrderStatus.ReturnApproved),
        OrderAction.RefundReturn => ([OrderStatus.ReturnApproved], OrderStatus.Refunded),
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public Task<OrderView?> Get() => Task.FromResult(State.Exists ? View() : null);

    public Task ResumeSaga() => State.Exists && State.Step != SagaStep.Done ? Drive() : Task.CompletedTask;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != SagaReminder)
        {
            return;
        }
        if (!State.Exists || State.Step == SagaStep.Done)
        {
            await this.UnregisterReminder(SagaReminder);
            return;
        }
        logger.LogInformation("Resuming the saga of order {Order} at {Step}", OrderId, State.Step);
        await Drive();
    }

    /// <summary>
    /// Runs the saga from its current step to the end. A step that throws (a crash stand-in, the
    /// gateway unreachable) stops the run with its progress kept; the reminder tries again.
    /// </summary>
    private async Task Drive()
    {
        while (State.Step != SagaStep.Done)
        {
            try
            {
                await interceptor.BeforeStep(OrderId, State.Step);
                await RunStep(State.Step);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "The saga of order {Order} stopped at {Step}; its reminder resumes it", OrderId, State.Step);
                return;
            }
            if (AwaitingCustomer)
            {
                // Not stopped: the payment's report resumes the saga (ResumeSaga); the reminder stays as backstop and timeout.
                return;
            }
        }
        await this.UnregisterReminder(SagaReminder);
    }

    private Task RunStep(SagaStep step) => step switch
    {
        SagaStep.ReserveStock => ReserveStock(),
        SagaStep.AuthorizePayment => AuthorizePayment(),
        SagaStep.MarkConfirmed => MarkConfirmed(),
        SagaStep.CapturePayment => CapturePayment(),
        SagaStep.ConfirmReservations => ConfirmReservations(),
        SagaStep.ClearCart => ClearCart(),
        SagaStep.EmitPlaced => EmitPlaced(),
        _ => Unwind(),
    };

    private async Task ReserveStock()
    {
        if (State.FlashSale is { } source)
        {
            var claimed = await Sale(source).ClaimForCheckout(State.CustomerId, source.PurchaseId, OrderId);
            if (!claimed.Succeeded)
            {
                await FailStep(SagaStep.ReserveStock, FailureCode(PurchaseRefusal(claimed).Error), claimed.Message!);
                return;
            }
            await Advance(SagaStep.ReserveStock, SagaStep.AuthorizePayment);
            return;
        }
        foreach (var line in State.Lines)
        {
            var reserved = await Inventory(line.Sku).Reserve(new ReserveStock(ReservationId, line.Quantity, options.Value.ReservationHoldFor, Actor: OrderId));
            if (!reserved.Succeeded)
            {
                await FailStep(SagaStep.ReserveStock, "out-of-stock", $"SKU '{line.Sku}' is out of stock: {reserved.Message}");
                return;
            }
        }
        await Advance(SagaStep.ReserveStock, SagaStep.AuthorizePayment);
    }

    private async Task AuthorizePayment()
    {
        var authorized = await Payment.Authorize(new AuthorizePayment(OrderId, State.CustomerId, State.Total, State.Card.PaymentMethodId, State.Card.Brand, State.Card.Last4));
        if (authorized.Error == PaymentError.ActionRequired)
        {
            await AwaitCustomer(authorized.Payment!.Action!);
            return;
        }
        State.PaymentAction = null;
        State.AwaitingCustomerSince = null;
        if (!authorized.Succeeded)
        {
            await FailStep(SagaStep.AuthorizePayment, "payment-declined", $"The card was declined ({authorized.FailureCode}): {authorized.Message}");
            return;
        }
        await Advance(SagaStep.AuthorizePayment, SagaStep.MarkConfirmed);
    }

    /// <summary>While the saga waits at AuthorizePayment for the customer to authenticate the payment (3-D Secure).</summary>
    private bool AwaitingCustomer => State.Step == SagaStep.AuthorizePayment && State.PaymentAction is not null;

    /// <summary>
    /// 3-D Secure: the order stays pending while the customer authenticates in the browser; the
    /// payment's report moves it on. Past <see cref="OrderOptions.AuthenticationTimeout"/> the order unwinds,
    /// which cancels the intent so that a late authentication can hold nothing.
    /// </summary>
    private async Task AwaitCustomer(PaymentAction action)
    {
        if (State.AwaitingCustomerSince is not { } since)
        {
            State.PaymentAction = action;
            State.AwaitingCustomerSince = clock.GetUtcNow();
            await Save();
            return;
        }
        if (clock.GetUtcNow() - since >= options.Value.AuthenticationTimeout)
        {
            State.PaymentAction = null;
            await FailStep(SagaStep.AuthorizePayment, "authentication-timeout", $"The payment was not authenticated within {options.Value.AuthenticationTimeout.TotalMinutes:0.#} minutes.");
        }
    }

    private async Task MarkConfirmed()
    {
        Become(OrderStatus.Confirmed, SagaActor, null);
        await Advance(SagaStep.MarkConfirmed, SagaStep.CapturePayment);
    }

    private async Task CapturePayment()
    {
        if (State.CaptureAtShipment)
        {
            // Charged when it ships (see Transition); until then only the authorization holds the money.
            await Advance(SagaStep.CapturePayment, SagaStep.ConfirmReservations);
            return;
        }
        var captured = await Payment.Capture();
        if (!captured.Succeeded)
        {
            await FailStep(SagaStep.CapturePayment, "payment-failed", $"The payment could not be captured ({captured.FailureCode}): {captured.Message}");
            return;
        }
        await Advance(SagaStep.CapturePayment, SagaStep.ConfirmReservations);
    }

    private async Task ConfirmReservations()
    {
        if (State.FlashSale is { } source)
        {
            // The claim kept the units in the sale's pool; now the sale hands them to this order, sold.
            var sold = await Sale(source).CompleteCheckout(source.PurchaseId, OrderId, ReservationId);
            if (!sold.Succeeded)
            {
                await FailStep(SagaStep.ConfirmReservations, "reservation-expired", $"The flash-sale purchase could not be handed over: {sold.Message}");
                return;
            }
            await Advance(SagaStep.ConfirmReservations, SagaStep.ClearCart);
            return;
        }
        foreach (var line in State.Lines)
        {
            var confirmed = await Inventory(line.Sku).Confirm(ReservationId, OrderId, OrderId);
            if (!confirmed.Succeeded)
            {
                // Only a hold that ran out before the saga got here (a long outage): the order cannot be kept.
                await FailStep(SagaStep.ConfirmReservations, "reservation-expired", $"The hold on SKU '{line.Sku}' ended before the order was confirmed: {confirmed.Message}");
                return;
            }
        }
        await Advance(SagaStep.ConfirmReservations, SagaStep.ClearCart);
    }

    private async Task ClearCart()
    {
        if (State.FlashSale is not null)
        {
            // A flash-sale order never came from the cart: the cart keeps what it has.
            await Advance(SagaStep.ClearCart, SagaStep.EmitPlaced);
            return;
        }
        var bought = State.Lines.Select(l => new CartLine(l.Sku, l.Quantity, l.UnitPrice, SavedForLater: false)).ToList();
        await GrainFactory.GetGrain<ICartGrain>(State.CustomerId).RemoveOrdered(OrderId, bought);
        await Advance(SagaStep.ClearCart, SagaStep.EmitPlaced);
    }

    /// <summary>The order-placed event is a journal record: it commits with the state that ends the saga, or not at all.</summary>
    private async Task EmitPlaced()
    {
        // The effect of this step is its own commit: nothing happens between it and the write.
        await AfterEffect(SagaStep.EmitPlaced);
        order.AppendToJournal(PlacedEventKind, new OrderPlaced(OrderId, State.CustomerId, State.Total, [.. State.Lines], PaymentIdOf(OrderId), clock.GetUtcNow()));
        State.Step = SagaStep.Done;
        State.Response ??= new PlaceOrderResult(PlaceOrderError.None, View(), null, null);
        await Save();
    }

    /// <summary>
    /// Compensation, safe to repeat: the payment is voided or refunded, holds are released, and
    /// units already sold by this order go back on the shelf (a return, or a crash after confirming).
    /// </summary>
    private async Task Unwind()
    {
        var reason = State.CancellationReason ?? "Order cancelled.";
        // The payment (and through it the provider) hears the project's own code, never a customer's words.
        var payment = await Payment.Cancel($"order {OrderId}: {State.CancellationCode ?? "cancelled"}");
        if (State.FlashSale is { } source)
        {
            // Unpaid, the purchase goes back to waiting for payment (or, past its time, to the sale's pool).
            await Sale(source).ReleaseCheckout(source.PurchaseId, OrderId);
        }
        foreach (var line in State.Lines)
        {
            var inventory = Inventory(line.Sku);
            var released = await inventory.Release(ReservationId, OrderId);
            if (released.Error == ReservationError.AlreadyConfirmed)
            {
                var restocked = await inventory.Adjust(new AdjustStock(released.Reservation!.WarehouseId, line.Quantity,
                    $"order {OrderId}: {State.CancellationCode}", OrderId, OperationId: $"{OrderId}:restock"));
                if (!restocked.Succeeded)
                {
                    throw new InvalidOperationException($"Restocking {line.Sku} for order {OrderId} failed: {restocked.Message}");
                }
            }
        }
        await AfterEffect(SagaStep.Unwind);
        Become(State.UnwindTo ?? OrderStatus.Cancelled, State.UnwindActor ?? SagaActor, reason);
        State.UnwindTo = null;
        State.UnwindActor = null;
        State.Step = SagaStep.Done;
        // Only a checkout that never got placed answers with its failure; a later cancellation keeps the saved success.
        var failure = Failure(State.CancellationCode);
        State.Response ??= new PlaceOrderResult(failure, View(), reason, failure switch
        {
            PlaceOrderError.OutOfStock => "cart",
            PlaceOrderError.PaymentDeclined => "card",
            _ => "purchaseId",
        }, DeclineCode: failure == PlaceOrderError.PaymentDeclined ? payment.Payment?.FailureCode : null);
        await Save();
    }

    /// <summary>The cancellation codes the saga gives its own failures, and the placement errors they answer with.</summary>
    private static readonly (string Code, PlaceOrderError Error)[] FailureCodes =
    [
        ("out-of-stock", PlaceOrderError.OutOfStock),
        ("reservation-expired", PlaceOrderError.OutOfStock),
        ("purchase-expired", PlaceOrderError.PurchaseExpired),
        ("purchase-paid", PlaceOrderError.PurchasePaid),
        ("purchase-in-checkout", PlaceOrderError.PurchaseInCheckout),
        ("unknown-purchase", PlaceOrderError.UnknownPurchase),
    ];

    private static PlaceOrderError Failure(string? code) =>
        FailureCodes.FirstOrDefault(f => f.Code == code) is { Code: not null } known ? known.Error : PlaceOrderError.PaymentDeclined;

    private static string FailureCode(PlaceOrderError error) => FailureCodes.First(f => f.Error == error).Code;

    private void StartUnwinding(OrderStatus endIn, string code, string reason, string actor)
    {
        State.UnwindTo = endIn;
        State.UnwindActor = actor;
        State.CancellationCode = code;
        State.CancellationReason = reason;
        State.Step = SagaStep.Unwind;
        // No history entry yet: history holds real transitions only, and the one this compensation
        // makes (to UnwindTo, with the reason) is recorded when it completes.
    }

    /// <summary>The step's effect was refused (out of stock, declined...): the order unwinds to cancelled.</summary>
    private async Task FailStep(SagaStep step, string code, string reason)
    {
        await AfterEffect(step);
        StartUnwinding(OrderStatus.Cancelled, code, reason, SagaActor);
        await Save();
    }

    private async Task Advance(SagaStep done, SagaStep next)
    {
        await AfterEffect(done);
        State.Step = next;
        await Save();
    }

    private Task AfterEffect(SagaStep step) => interceptor.AfterEffect(OrderId, step);

    private void Become(OrderStatus status, string actor, string? note)
    {
        State.Status = status;
        State.History.Add(new OrderEvent(status, clock.GetUtcNow(), actor, note));
    }

    private async Task Save()
    {
        State.Version++;
        await order.WriteStateAsync();
        await UpdateIndex();
    }

    /// <summary>The index is a copy for lists: failing to update it never fails the order (the next change or activation repairs it).</summary>
    private async Task UpdateIndex()
    {
        try
        {
            var neverPlaced = State.Status == OrderStatus.Cancelled && !State.History.Any(e => e.Status == OrderStatus.Confirmed);
            await index.Upsert(new OrderSummary(OrderId, State.CustomerId, State.Status, State.Total, State.Lines.Sum(l => l.Quantity), State.PlacedAt, clock.GetUtcNow()),
                State.Version, checkoutFailed: neverPlaced);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Order {Order} could not update the order index", OrderId);
        }
    }

    private ISkuInventoryGrain Inventory(string sku) => GrainFactory.GetGrain<ISkuInventoryGrain>(sku);

    private IFlashSaleGrain Sale(FlashSalePurchaseRef source) => GrainFactory.GetGrain<IFlashSaleGrain>(source.SaleId);

    private PlaceOrderResult InProgress() =>
        new(PlaceOrderError.InProgress, View(), "The order is being placed; it completes on its own. Ask again with the same Idempotency-Key, or follow the order.", null);

    private OrderResult Illegal(OrderAction action, string why) =>
        new(OrderError.IllegalTransition, View(), $"The order cannot {ActionName(action)}: {why}.");

    private static string ActionName(OrderAction action) => action switch
    {
        OrderAction.StartProcessing => "start processing",
        OrderAction.Ship => "ship",
        OrderAction.Deliver => "be delivered",
        OrderAction.Cancel => "be cancelled",
        OrderAction.RequestReturn => "be returned",
        OrderAction.ApproveReturn => "have its return approved",
        _ => "be refunded",
    };

    private OrderView View() => new(OrderId, State.CustomerId, State.Status, State.PlacedAt, [.. State.Lines], State.Subtotal, State.Shipping, State.Tax, State.Total,
        State.ShippingMethod, State.Region, State.Address, PaymentIdOf(OrderId), State.Card.Brand, State.Card.Last4,
        State.CancellationCode, State.CancellationReason, [.. State.History], State.Step != SagaStep.Done, State.Version, State.FlashSale, State.PaymentAction);
}
