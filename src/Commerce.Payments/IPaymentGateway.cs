using Commerce.Grains;
using Commerce.Grains.Payments;

namespace Commerce.Payments;

/// <summary>Card details as the customer typed them. Never stored: they are exchanged for a <see cref="PaymentMethod"/> at once.</summary>
public sealed record CardDetails(string Number, int ExpMonth, int ExpYear, string Cvc);

/// <summary>A stored, chargeable card at the gateway: what orders keep instead of the card number.</summary>
public sealed record PaymentMethod(string Id, string Brand, string Last4);

public enum ChargeStatus
{
    /// <summary>The customer must authenticate (3-D Secure) before funds are held: see <see cref="GatewayResult.Action"/>.</summary>
    RequiresAction,

    /// <summary>Funds are held on the card, not yet moved.</summary>
    Authorized,

    /// <summary>Some or all of the authorized amount was collected.</summary>
    Captured,

    /// <summary>The authorization was cancelled before capture: nothing is charged.</summary>
    Voided,
}

/// <summary>Whose charge it is: kept with the charge at the gateway (Stripe: the intent's metadata) for reconciliation.</summary>
public sealed record PaymentReference(string PaymentId, string OrderId);

/// <summary>A charge as the gateway sees it (Stripe: a PaymentIntent, whose id is the charge id).</summary>
public sealed record GatewayCharge(string ChargeId, Money Authorized, decimal Captured, decimal Refunded, ChargeStatus Status);

/// <summary>
/// The answer of a gateway call. <paramref name="FailureCode"/> follows Stripe's codes
/// (<c>card_declined</c>, <c>insufficient_funds</c>, <c>authentication_required</c>, <c>expired_card</c>,
/// <c>incorrect_number</c>, <c>amount_too_large</c>, <c>charge_already_voided</c>, <c>idempotency_key_reused</c>, ...).
/// An authorization that needs the customer (3-D Secure) succeeds with a charge in <see cref="ChargeStatus.RequiresAction"/>
/// and <paramref name="Action"/>: what the customer's browser needs; the provider reports the outcome later.
/// </summary>
public sealed record GatewayResult(GatewayCharge? Charge, string? FailureCode = null, string? Message = null, PaymentAction? Action = null)
{
    public bool Succeeded => FailureCode is null;

    public static GatewayResult Failed(string code, string message) => new(null, code, message);
}

public sealed record PaymentMethodResult(PaymentMethod? Method, string? FailureCode = null, string? Message = null)
{
    public bool Succeeded => FailureCode is null;
}

/// <summary>
/// A card payment processor. Every call that moves money takes an idempotency key: the gateway
/// answers a repeated key with the first answer and never acts twice, so a caller that crashed or
/// timed out simply asks again with the same key. A gateway that cannot be asked (unreachable, failing)
/// throws <see cref="PaymentProviderUnavailableException"/>; a refusal is an answer. The built-in gateway is
/// <see cref="TestModePaymentGateway"/>; <see cref="StripePaymentGateway"/> goes to Stripe.
/// </summary>
public interface IPaymentGateway
{
    /// <summary>Exchanges card details for a payment method id (Stripe: a PaymentMethod). Not idempotent and need not be: it moves no money.</summary>
    Task<PaymentMethodResult> CreatePaymentMethod(CardDetails card, CancellationToken cancellationToken);

    /// <summary>Holds <paramref name="amount"/> on the card. <paramref name="reference"/> is kept with the charge for reconciliation.</summary>
    Task<GatewayResult> Authorize(string idempotencyKey, string paymentMethodId, Money amount, PaymentReference reference, CancellationToken cancellationToken);

    /// <summary>Collects <paramref name="amount"/> (at most what was authorized) of an authorized charge.</summary>
    Task<GatewayResult> Capture(string idempotencyKey, string chargeId, Money amount, CancellationToken cancellationToken);

    /// <summary>Cancels an authorization that was not captured: the hold on the card goes away.</summary>
    Task<GatewayResult> Void(string idempotencyKey, string chargeId, CancellationToken cancellationToken);

    /// <summary>Returns <paramref name="amount"/> of a captured charge; refunds add up to at most what was captured.</summary>
    Task<GatewayResult> Refund(string idempotencyKey, string chargeId, Money amount, CancellationToken cancellationToken);
}
