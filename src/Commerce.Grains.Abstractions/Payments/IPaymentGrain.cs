using Commerce.Runtime;

namespace Commerce.Grains.Payments;

public enum PaymentStatus
{
    /// <summary>An authorization was asked of the gateway and its answer is not recorded yet.</summary>
    Authorizing,
    Authorized,

    /// <summary>The gateway declined the authorization: nothing is held or charged.</summary>
    Declined,
    Captured,
    PartiallyRefunded,
    Refunded,

    /// <summary>The authorization was cancelled before capture: nothing is charged.</summary>
    Voided,
}

public sealed record PaymentEvent(string Kind, decimal Amount, DateTimeOffset At, string? Reference);

public sealed record PaymentView(
    string PaymentId,
    string OrderId,
    string CustomerId,
    Money Amount,
    PaymentStatus Status,
    decimal Captured,
    decimal Refunded,
    string CardBrand,
    string CardLast4,
    string? FailureCode,
    string? FailureMessage,
    IReadOnlyList<PaymentEvent> History);

/// <param name="PaymentMethodId">The gateway's payment method (never a card number).</param>
public sealed record AuthorizePayment(string OrderId, string CustomerId, Money Amount, string PaymentMethodId, string CardBrand, string CardLast4);

public enum PaymentError
{
    None,
    NotFound,

    /// <summary>The gateway refused (declined card, authentication required...): see the failure code.</summary>
    Declined,

    /// <summary>The payment is not in a state that allows this (capture a voided one, refund an uncaptured one).</summary>
    InvalidState,

    /// <summary>The amount is above what can be captured or refunded.</summary>
    AmountTooLarge,

    /// <summary>The refund id was used for another amount.</summary>
    RefundIdReused,
}

public sealed record PaymentResult(PaymentError Error, PaymentView? Payment, string? FailureCode = null, string? Message = null)
{
    public bool Succeeded => Error == PaymentError.None;
}

/// <summary>
/// One payment (of one order) and everything that happened to it at the gateway: authorize,
/// capture, void, refunds. Each gateway call carries an idempotency key derived from the payment
/// and the action, so a retry after a crash asks the gateway the same question and gets the same answer.
/// </summary>
public interface IPaymentGrain : IGrainWithStringKey
{
    Task<PaymentResult> Authorize(AuthorizePayment request);

    /// <summary>Collects the whole authorized amount.</summary>
    Task<PaymentResult> Capture();

    /// <summary>Refunds <paramref name="amount"/> under <paramref name="refundId"/> (a retry with the same id refunds once); refunds add up to at most what was captured.</summary>
    Task<PaymentResult> Refund(string refundId, decimal amount, string reason);

    /// <summary>Undoes the payment, whatever it reached: voids an authorization, refunds what is captured and not yet refunded, settles an unrecorded authorization first. Idempotent.</summary>
    Task<PaymentResult> Cancel(string reason);

    [ReadOnly]
    Task<PaymentView?> Get();
}
