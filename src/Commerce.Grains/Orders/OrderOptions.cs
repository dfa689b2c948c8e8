namespace Commerce.Grains.Orders;

/// <summary>Checkout saga settings, bound from <c>Commerce:Orders</c>.</summary>
public sealed class OrderOptions
{
    /// <summary>How long an order's stock reservations hold while the saga runs. Default 15 minutes.</summary>
    public TimeSpan ReservationHoldFor { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Period of the durable reminder that resumes an interrupted saga (after a crash, or while the
    /// payment gateway is unreachable). Default 1 minute, the runtime's shortest reminder period.
    /// </summary>
    public TimeSpan SagaRetryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a checkout waits for the customer to authenticate the payment (3-D Secure) before it
    /// cancels the payment and the order; checked at the saga's reminder ticks, so it ends at most one
    /// <see cref="SagaRetryInterval"/> later. Default 10 minutes: below <see cref="ReservationHoldFor"/>,
    /// so that the stock is still held when the authentication comes (enforced at startup).
    /// </summary>
    public TimeSpan AuthenticationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// When the card is charged: right after the order is confirmed (default), or when it ships — the
    /// authorization holds the money until then, and a cancellation before shipment voids it, so
    /// nothing is ever charged for an order that never left. Fixed for each order when it is placed.
    /// </summary>
    public PaymentCapture CaptureAt { get; set; } = PaymentCapture.Confirmation;
}

public enum PaymentCapture
{
    Confirmation,
    Shipment,
}

/// <summary>The steps of the checkout saga, in order; <see cref="Unwind"/> is compensation, <see cref="Done"/> means nothing runs.</summary>
public enum SagaStep
{
    ReserveStock,
    AuthorizePayment,
    MarkConfirmed,
    CapturePayment,
    ConfirmReservations,
    ClearCart,
    EmitPlaced,
    Unwind,
    Done,
}

/// <summary>
/// Seen by the saga around each step: before the step, and after its effect but before its progress
/// is persisted — the two places a crash can fall. The default does nothing; fault-injection tests
/// throw here to interrupt the saga at a chosen point.
/// </summary>
public class OrderSagaInterceptor
{
    public virtual Task BeforeStep(string orderId, SagaStep step) => Task.CompletedTask;

    public virtual Task AfterEffect(string orderId, SagaStep step) => Task.CompletedTask;
}
