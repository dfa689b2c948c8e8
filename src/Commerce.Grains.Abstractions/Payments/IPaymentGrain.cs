using Orleans;
using Orleans.Concurrency;

namespace Commerce.Grains.Payments;

[GenerateSerializer, Alias("Commerce.PaymentStatus")]
public enum PaymentStatus
{
    /// <summary>An authorization was asked of the gateway and its answer is not recorded yet.</summary>
    Authorizing,

    /// <summary>
    /// The provider asks the customer to authenticate (3-D Secure) before it holds the funds: see
    /// <see cref="PaymentView.Action"/>. The provider's report (a webhook) moves the payment on.
    /// </summary>
    RequiresAction,
    Authorized,

    /// <summary>The gateway declined the authorization: nothing is held or charged.</summary>
    Declined,
    Captured,
    PartiallyRefunded,
    Refunded,

    /// <summary>The authorization was cancelled before capture: nothing is charged.</summary>
    Voided,
}

[GenerateSerializer, Immutable, Alias("Commerce.PaymentEvent")]
public sealed record PaymentEvent([property: Id(0)] string Kind, [property: Id(1)] decimal Amount, [property: Id(2)] DateTimeOffset At, [property: Id(3)] string? Reference);

[GenerateSerializer, Immutable, Alias("Commerce.PaymentView")]
public sealed record PaymentView(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] string CustomerId,
    [property: Id(3)] Money Amount,
    [property: Id(4)] PaymentStatus Status,
    [property: Id(5)] decimal Captured,
    [property: Id(6)] decimal Refunded,
    [property: Id(7)] string CardBrand,
    [property: Id(8)] string CardLast4,
    [property: Id(9)] string? FailureCode,
    [property: Id(10)] string? FailureMessage,
    [property: Id(11)] IReadOnlyList<PaymentEvent> History,
    [property: Id(12)] PaymentAction? Action = null);

/// <summary>
/// What the customer's browser needs to authenticate a payment (3-D Secure): Stripe's
/// <c>client_secret</c> of the PaymentIntent, for Stripe.js (<c>stripe.handleNextAction</c>), and the
/// intent's <c>next_action</c> type (<c>use_stripe_sdk</c>, <c>redirect_to_url</c> with its URL).
/// </summary>
[GenerateSerializer, Immutable, Alias("Commerce.PaymentAction")]
public sealed record PaymentAction([property: Id(0)] string ClientSecret, [property: Id(1)] string NextAction, [property: Id(2)] string? RedirectUrl = null);

/// <param name="PaymentMethodId">The gateway's payment method (never a card number).</param>
[GenerateSerializer, Immutable, Alias("Commerce.AuthorizePayment")]
public sealed record AuthorizePayment([property: Id(0)] string OrderId, [property: Id(1)] string CustomerId, [property: Id(2)] Money Amount, [property: Id(3)] string PaymentMethodId, [property: Id(4)] string CardBrand, [property: Id(5)] string CardLast4);

[GenerateSerializer, Alias("Commerce.PaymentError")]
public enum PaymentError
{
    None,
    NotFound,

    /// <summary>The gateway refused (declined card, authentication required...): see the failure code.</summary>
    Declined,

    /// <summary>The customer must authenticate the payment first (<see cref="PaymentStatus.RequiresAction"/>): nothing is held yet.</summary>
    ActionRequired,

    /// <summary>The payment is not in a state that allows this (capture a voided one, refund an uncaptured one).</summary>
    InvalidState,

    /// <summary>The amount is above what can be captured or refunded.</summary>
    AmountTooLarge,

    /// <summary>The refund id was used for another amount.</summary>
    RefundIdReused,
}

/// <summary>What the provider reports about a charge, out of band (Stripe: a webhook event).</summary>
[GenerateSerializer, Alias("Commerce.ProviderReportKind")]
public enum ProviderReportKind
{
    /// <summary>The charge is authorized (capturable).</summary>
    Authorized,

    /// <summary>The charge is captured: <see cref="ProviderReport.Amount"/> is what was collected.</summary>
    Captured,

    /// <summary>The authorization failed (declined): see the failure code.</summary>
    Failed,

    /// <summary>The authorization was cancelled: nothing is charged.</summary>
    Canceled,

    /// <summary>Refunds at the provider add up to <see cref="ProviderReport.Amount"/>.</summary>
    Refunded,

    /// <summary>The customer disputed the charge (<see cref="ProviderReport.Reference"/> is the dispute).</summary>
    Disputed,
}

/// <param name="ChargeId">The provider's charge (Stripe: the PaymentIntent id).</param>
/// <param name="Amount">What the kind counts: captured, refunded in total, or disputed.</param>
[GenerateSerializer, Immutable, Alias("Commerce.ProviderReport")]
public sealed record ProviderReport(
    [property: Id(0)] ProviderReportKind Kind,
    [property: Id(1)] string ChargeId,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] string? FailureCode = null,
    [property: Id(4)] string? Message = null,
    [property: Id(5)] string? Reference = null);

[GenerateSerializer, Immutable, Alias("Commerce.PaymentResult")]
public sealed record PaymentResult([property: Id(0)] PaymentError Error, [property: Id(1)] PaymentView? Payment, [property: Id(2)] string? FailureCode = null, [property: Id(3)] string? Message = null)
{
    public bool Succeeded => Error == PaymentError.None;
}

/// <summary>
/// One payment (of one order) and everything that happened to it at the gateway: authorize,
/// capture, void, refunds. Each gateway call carries an idempotency key derived from the payment
/// and the action, so a retry after a crash asks the gateway the same question and gets the same answer.
/// </summary>
[Alias("Commerce.IPaymentGrain")]
public interface IPaymentGrain : IGrainWithStringKey
{
    [ResponseTimeout(SlowCall.Timeout)]
    Task<PaymentResult> Authorize(AuthorizePayment request);

    /// <summary>Collects the whole authorized amount.</summary>
    [ResponseTimeout(SlowCall.Timeout)]
    Task<PaymentResult> Capture();

    /// <summary>Refunds <paramref name="amount"/> under <paramref name="refundId"/> (a retry with the same id refunds once); refunds add up to at most what was captured.</summary>
    [ResponseTimeout(SlowCall.Timeout)]
    Task<PaymentResult> Refund(string refundId, decimal amount, string reason);

    /// <summary>Undoes the payment, whatever it reached: voids an authorization, refunds what is captured and not yet refunded, settles an unrecorded authorization first. Idempotent.</summary>
    [ResponseTimeout(SlowCall.Timeout)]
    Task<PaymentResult> Cancel(string reason);

    /// <summary>
    /// Applies what the provider reports (a webhook). Reports only move a payment forward and each is
    /// applied once, whatever order they and the saga's own calls arrive in: a capture the saga makes
    /// later finds the payment captured and asks nothing; a report of a state already reached changes nothing.
    /// </summary>
    [ResponseTimeout(SlowCall.Timeout)]
    Task<PaymentResult> Reconcile(ProviderReport report);

    [ReadOnly]
    Task<PaymentView?> Get();
}
