using Commerce.Grains.Orders;
using Commerce.Payments;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Commerce.Grains.Payments;

internal sealed class PaymentState
{
    public bool Exists { get; set; }

    public string OrderId { get; set; } = "";

    public string CustomerId { get; set; } = "";

    public Money Amount { get; set; } = new(0, "EUR");

    public string PaymentMethodId { get; set; } = "";

    public string CardBrand { get; set; } = "";

    public string CardLast4 { get; set; } = "";

    public PaymentStatus Status { get; set; }

    public string? ChargeId { get; set; }

    public decimal Captured { get; set; }

    public decimal Refunded { get; set; }

    public string? FailureCode { get; set; }

    public string? FailureMessage { get; set; }

    /// <summary>While <see cref="PaymentStatus.RequiresAction"/>: what the customer's browser needs to authenticate.</summary>
    public PaymentAction? Action { get; set; }

    /// <summary>Refunds by refund id, so that a retried refund is recognised.</summary>
    public Dictionary<string, decimal> Refunds { get; set; } = new(StringComparer.Ordinal);

    public List<PaymentEvent> History { get; set; } = [];
}

/// <summary>
/// A payment's record of what happened at the gateway. An authorization is recorded as asked
/// (Authorizing) before the gateway is called, so that after a crash the payment knows to ask
/// again with the same idempotency key — and learns the charge instead of making a second one.
/// A charge that needs 3-D Secure waits in RequiresAction for the provider's report of the customer's
/// authentication; when it comes, the payment tells its order to resume the checkout at once.
/// </summary>
[GrainType("Payment")]
internal sealed class PaymentGrain(
    [PersistentState("payment", GrainStorage.Name)] IPersistentState<PaymentState> payment,
    IPaymentGateway gateway,
    [FromKeyedServices(CommerceGrains.Clock)] TimeProvider clock) : Grain, IPaymentGrain
{
    /// <summary>Refund id of the refund that undoes a cancelled or returned order.</summary>
    public const string CancellationRefundId = "cancellation";

    private PaymentState State => payment.State;

    private string PaymentId => this.GetPrimaryKeyString();

    private string KeyFor(string action) => $"{PaymentId}:{action}";

    public async Task<PaymentResult> Authorize(AuthorizePayment request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!State.Exists)
        {
            State.Exists = true;
            State.OrderId = request.OrderId;
            State.CustomerId = request.CustomerId;
            State.Amount = request.Amount;
            State.PaymentMethodId = request.PaymentMethodId;
            State.CardBrand = request.CardBrand;
            State.CardLast4 = request.CardLast4;
            State.Status = PaymentStatus.Authorizing;
            await payment.WriteStateAsync();
        }
        if (State.Status == PaymentStatus.Authorizing)
        {
            await SettleAuthorization();
        }
        return State.Status switch
        {
            PaymentStatus.RequiresAction => new PaymentResult(PaymentError.ActionRequired, View(), null, "The customer must authenticate the payment (3-D Secure)."),
            PaymentStatus.Declined => new PaymentResult(PaymentError.Declined, View(), State.FailureCode, State.FailureMessage),
            // Cancelled at the provider before the checkout got past its authorization (a 3-D Secure intent given up there).
            PaymentStatus.Voided => new PaymentResult(PaymentError.Declined, View(), "payment_intent_canceled", "The payment was cancelled at the provider."),
            _ => Ok(),
        };
    }

    public async Task<PaymentResult> Capture()
    {
        if (!State.Exists)
        {
            return NotFound();
        }
        if (State.Status is PaymentStatus.Captured or PaymentStatus.PartiallyRefunded or PaymentStatus.Refunded)
        {
            return Ok();
        }
        if (State.Status != PaymentStatus.Authorized)
        {
            return Refused(PaymentError.InvalidState, $"A {State.Status.ToString().ToLowerInvariant()} payment cannot be captured.");
        }
        var result = await gateway.Capture(KeyFor("capture"), State.ChargeId!, State.Amount, CancellationToken.None);
        if (!result.Succeeded)
        {
            return new PaymentResult(PaymentError.Declined, View(), result.FailureCode, result.Message);
        }
        LearnCapture(State.Amount.Amount);
        await payment.WriteStateAsync();
        return Ok();
    }

    public async Task<PaymentResult> Refund(string refundId, decimal amount, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(refundId);
        if (!State.Exists)
        {
            return NotFound();
        }
        if (State.Refunds.TryGetValue(refundId, out var earlier))
        {
            return earlier == amount ? Ok() : Refused(PaymentError.RefundIdReused, $"Refund '{refundId}' was for {earlier}, not {amount}.");
        }
        if (State.Status is not (PaymentStatus.Captured or PaymentStatus.PartiallyRefunded))
        {
            return Refused(PaymentError.InvalidState, $"Only a captured payment can be refunded; this one is {State.Status.ToString().ToLowerInvariant()}.");
        }
        var refundable = State.Captured - State.Refunded;
        if (amount <= 0 || amount > refundable)
        {
            return Refused(PaymentError.AmountTooLarge, $"Refunds add up to at most the captured amount: {refundable} {State.Amount.Currency} can still be refunded.");
        }
        var result = await gateway.Refund(KeyFor("refund:" + refundId), State.ChargeId!, State.Amount with { Amount = amount }, CancellationToken.None);
        if (!result.Succeeded)
        {
            return new PaymentResult(PaymentError.Declined, View(), result.FailureCode, result.Message);
        }
        State.Refunds[refundId] = amount;
        State.Refunded += amount;
        State.Status = State.Refunded == State.Captured ? PaymentStatus.Refunded : PaymentStatus.PartiallyRefunded;
        Record("refunded", amount, reason);
        await payment.WriteStateAsync();
        return Ok();
    }

    public async Task<PaymentResult> Cancel(string reason)
    {
        if (!State.Exists)
        {
            // The order never got as far as asking for money.
            return new PaymentResult(PaymentError.None, null);
        }
        if (State.Status == PaymentStatus.Authorizing)
        {
            await SettleAuthorization();
        }
        // An intent still waiting for the customer's authentication is cancelled too, so it can never be completed later.
        if (State.Status is PaymentStatus.Authorized or PaymentStatus.RequiresAction)
        {
            var voided = await gateway.Void(KeyFor("void"), State.ChargeId!, CancellationToken.None);
            if (voided.Succeeded)
            {
                State.Status = PaymentStatus.Voided;
                State.Action = null;
                Record("voided", State.Amount.Amount, reason);
                await payment.WriteStateAsync();
                return Ok();
            }
            if (voided.FailureCode != "charge_already_captured")
            {
                throw new InvalidOperationException($"The gateway would not void charge {State.ChargeId}: {voided.FailureCode} {voided.Message}");
            }
            // A capture reached the gateway but not this record (a crash in between): learn it, then refund.
            if (!(await Capture()).Succeeded)
            {
                throw new InvalidOperationException($"Charge {State.ChargeId} is captured at the gateway but its capture cannot be recorded.");
            }
        }
        if (State.Status is PaymentStatus.Captured or PaymentStatus.PartiallyRefunded)
        {
            var refund = await Refund(CancellationRefundId, State.Captured - State.Refunded, reason);
            if (!refund.Succeeded)
            {
                throw new InvalidOperationException($"The gateway would not refund charge {State.ChargeId}: {refund.FailureCode} {refund.Message}");
            }
        }
        return Ok();
    }

    public async Task<PaymentResult> Reconcile(ProviderReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!State.Exists)
        {
            return NotFound();
        }
        if (State.ChargeId is { } known && known != report.ChargeId)
        {
            return Refused(PaymentError.InvalidState, $"The report is about charge {report.ChargeId}; this payment's charge is {known}.");
        }
        var awaitingCustomer = State.Status == PaymentStatus.RequiresAction;
        var unsettled = State.Status is PaymentStatus.Authorizing or PaymentStatus.RequiresAction;
        var pending = unsettled || State.Status == PaymentStatus.Authorized;
        var changed = report.Kind switch
        {
            ProviderReportKind.Authorized when unsettled => LearnAuthorization(report.ChargeId),
            ProviderReportKind.Captured when pending => LearnAuthorization(report.ChargeId) | LearnCapture(report.Amount),
            ProviderReportKind.Failed when unsettled => LearnDecline(report.FailureCode ?? "card_declined", report.Message),
            // Given up before the customer authenticated: nothing was ever held.
            ProviderReportKind.Canceled when awaitingCustomer => LearnVoid(),
            ProviderReportKind.Canceled when pending => LearnAuthorization(report.ChargeId) | LearnVoid(),
            ProviderReportKind.Refunded when State.Status is PaymentStatus.Captured or PaymentStatus.PartiallyRefunded && report.Amount > State.Refunded =>
                LearnRefund(report.Amount),
            ProviderReportKind.Disputed when !State.History.Any(e => e.Kind == "disputed" && e.Reference == report.Reference) =>
                Recorded("disputed", report.Amount, report.Reference),
            _ => false,
        };
        if (changed)
        {
            await payment.WriteStateAsync();
        }
        if (awaitingCustomer && State.Status != PaymentStatus.RequiresAction)
        {
            // The checkout waits for this (one-way: the order calls back into this payment); its reminder is the backstop.
            await GrainFactory.GetGrain<IOrderGrain>(State.OrderId).ResumeSaga();
        }
        return Ok();
    }

    private bool LearnAuthorization(string chargeId)
    {
        if (State.Status is not (PaymentStatus.Authorizing or PaymentStatus.RequiresAction))
        {
            return false;
        }
        State.ChargeId = chargeId;
        State.Status = PaymentStatus.Authorized;
        State.Action = null;
        Record("authorized", State.Amount.Amount, chargeId);
        return true;
    }

    private bool LearnCapture(decimal amount)
    {
        State.Captured = amount;
        State.Status = PaymentStatus.Captured;
        Record("captured", amount, State.ChargeId);
        return true;
    }

    private bool LearnDecline(string code, string? message)
    {
        State.Status = PaymentStatus.Declined;
        State.Action = null;
        State.FailureCode = code;
        State.FailureMessage = message;
        Record("declined", State.Amount.Amount, code);
        return true;
    }

    private bool LearnVoid()
    {
        State.Status = PaymentStatus.Voided;
        State.Action = null;
        Record("voided", State.Amount.Amount, "at the provider");
        return true;
    }

    /// <summary>Refunds made at the provider (its dashboard) beyond those recorded here: the difference, under an id of its own.</summary>
    private bool LearnRefund(decimal total)
    {
        var amount = total - State.Refunded;
        State.Refunds["provider:" + total.ToString(System.Globalization.CultureInfo.InvariantCulture)] = amount;
        State.Refunded = total;
        State.Status = State.Refunded >= State.Captured ? PaymentStatus.Refunded : PaymentStatus.PartiallyRefunded;
        Record("refunded", amount, "at the provider");
        return true;
    }

    private bool Recorded(string kind, decimal amount, string? reference)
    {
        Record(kind, amount, reference);
        return true;
    }

    public Task<PaymentView?> Get() => Task.FromResult(State.Exists ? View() : null);

    /// <summary>Asks the gateway to authorize under this payment's key: the first time it authorizes, after a crash it answers what it did.</summary>
    private async Task SettleAuthorization()
    {
        var result = await gateway.Authorize(KeyFor("authorize"), State.PaymentMethodId, State.Amount, new PaymentReference(PaymentId, State.OrderId), CancellationToken.None);
        _ = result switch
        {
            { Action: { } action } => LearnActionRequired(result.Charge!.ChargeId, action),
            { Succeeded: true } => LearnAuthorization(result.Charge!.ChargeId),
            _ => LearnDecline(result.FailureCode!, result.Message),
        };
        await payment.WriteStateAsync();
    }

    private bool LearnActionRequired(string chargeId, PaymentAction action)
    {
        State.ChargeId = chargeId;
        State.Status = PaymentStatus.RequiresAction;
        State.Action = action;
        Record("requires-action", State.Amount.Amount, action.NextAction);
        return true;
    }

    private void Record(string kind, decimal amount, string? reference) => State.History.Add(new PaymentEvent(kind, amount, clock.GetUtcNow(), reference));

    private PaymentResult Ok() => new(PaymentError.None, View());

    private PaymentResult Refused(PaymentError error, string message) => new(error, View(), null, message);

    private static PaymentResult NotFound() => new(PaymentError.NotFound, null, null, "There is no such payment.");

    private PaymentView View() => new(PaymentId, State.OrderId, State.CustomerId, State.Amount, State.Status, State.Captured, State.Refunded,
        State.CardBrand, State.CardLast4, State.FailureCode, State.FailureMessage, [.. State.History], State.Action);
}
