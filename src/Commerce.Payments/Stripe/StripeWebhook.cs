using Commerce.Grains.Payments;
using Microsoft.Extensions.Options;
using Npgsql;
using Stripe;

namespace Commerce.Payments;

/// <summary>
/// Stripe's webhook, from signed body to report: verifies the <c>Stripe-Signature</c> header
/// (Stripe.net's <see cref="EventUtility.ConstructEvent(string, string, string, long, bool)"/>, the configured tolerance),
/// says which payment an event is about (the intent's <c>payment_id</c> metadata, put there when
/// authorizing) and what it reports, and keeps the ids of events applied so that a replay is ignored.
/// </summary>
public sealed class StripeWebhook(IOptions<StripeOptions> options, StripePaymentGateway stripe, NpgsqlDataSource dataSource)
{
    /// <summary>The event, or null when the body or its signature is bad, stale or signed with another secret.</summary>
    public Event? Verify(string body, string? signature)
    {
        var secret = options.Value.WebhookSecret;
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(signature))
        {
            return null;
        }
        try
        {
            // The API version is the account's, not the SDK's: the fields read below exist in both.
            return EventUtility.ConstructEvent(body, signature, secret, (long)options.Value.WebhookTolerance.TotalSeconds, throwOnApiVersionMismatch: false);
        }
        catch (StripeException)
        {
            return null;
        }
    }

    /// <summary>
    /// The payment the event is about and what it reports; null for events that report nothing to a payment
    /// of this system. A charge or dispute names its intent only, whose metadata is read from Stripe.
    /// </summary>
    public async Task<(string PaymentId, ProviderReport Report)?> Report(Event stripeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        var intentId = stripeEvent.Data.Object switch
        {
            Charge charge => charge.PaymentIntentId,
            Dispute dispute => dispute.PaymentIntentId,
            _ => null,
        };
        var metadata = intentId is null ? null : (await stripe.ReadIntent(intentId, cancellationToken)).Metadata;
        return (stripeEvent.Type, stripeEvent.Data.Object) switch
        {
            ("payment_intent.amount_capturable_updated", PaymentIntent intent) => For(intent, ProviderReportKind.Authorized, 0),
            ("payment_intent.succeeded", PaymentIntent intent) => For(intent, ProviderReportKind.Captured, Amount(intent.AmountReceived, intent.Currency)),
            ("payment_intent.payment_failed", PaymentIntent intent) => For(intent, ProviderReportKind.Failed, 0,
                intent.LastPaymentError is { } error ? (error.DeclineCode is { Length: > 0 } d && d != "generic_decline" ? d : error.Code) : null, intent.LastPaymentError?.Message),
            ("payment_intent.canceled", PaymentIntent intent) => For(intent, ProviderReportKind.Canceled, 0),
            ("charge.refunded", Charge charge) when PaymentIdOf(metadata) is { } paymentId =>
                (paymentId, new ProviderReport(ProviderReportKind.Refunded, intentId!, Amount(charge.AmountRefunded, charge.Currency))),
            ("charge.dispute.created", Dispute dispute) when PaymentIdOf(metadata) is { } paymentId =>
                (paymentId, new ProviderReport(ProviderReportKind.Disputed, intentId!, Amount(dispute.Amount, dispute.Currency), dispute.Reason, null, dispute.Id)),
            _ => null,
        };
    }

    /// <summary>Whether the event was applied already.</summary>
    public async Task<bool> Seen(string eventId, CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand("SELECT 1 FROM stripe_webhook_events WHERE event_id = $1");
        select.Parameters.Add(new() { Value = eventId });
        return await select.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Records the event as applied (after it was: a crash in between makes Stripe's retry apply it again, which changes nothing).</summary>
    public async Task Record(Event stripeEvent, string? paymentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        await using var insert = dataSource.CreateCommand("INSERT INTO stripe_webhook_events (event_id, event_type, payment_id) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING");
        insert.Parameters.Add(new() { Value = stripeEvent.Id });
        insert.Parameters.Add(new() { Value = stripeEvent.Type });
        insert.Parameters.Add(new() { Value = (object?)paymentId ?? DBNull.Value });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static (string, ProviderReport)? For(PaymentIntent intent, ProviderReportKind kind, decimal amount, string? code = null, string? message = null) =>
        PaymentIdOf(intent.Metadata) is { } paymentId ? (paymentId, new ProviderReport(kind, intent.Id, amount, code, message)) : null;

    private static string? PaymentIdOf(IDictionary<string, string>? metadata) =>
        metadata?.TryGetValue(StripePaymentGateway.PaymentIdKey, out var paymentId) == true ? paymentId : null;

    private static decimal Amount(long minor, string currency) => MinorUnits.FromMinor(minor, currency.ToUpperInvariant());
}
