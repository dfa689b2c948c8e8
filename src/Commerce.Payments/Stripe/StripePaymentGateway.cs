using System.Net;
using Commerce.Grains;
using Commerce.Grains.Payments;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Stripe;

namespace Commerce.Payments;

/// <summary>
/// Payments through Stripe: a charge is a PaymentIntent confirmed with manual capture (an
/// authorization), captured, cancelled (void) or refunded. Every request that moves money carries
/// the caller's idempotency key — Stripe.net's own retries are off, so no request ever goes out under
/// a key of the SDK's — and the retries here (exponential backoff with jitter, for Stripe unreachable,
/// 5xx, 429 or timed out) send the same key again, so Stripe acts once. When the retries run out, or
/// Stripe refuses the secret key, the call throws <see cref="PaymentProviderUnavailableException"/>:
/// the caller's saga keeps the order pending and asks again later with the same key. Declines and
/// refusals are answers (<see cref="GatewayResult.FailureCode"/> is Stripe's decline code or error code).
/// </summary>
public sealed class StripePaymentGateway : IPaymentGateway
{
    /// <summary>The metadata keys an intent carries, for reconciliation from webhooks.</summary>
    public const string PaymentIdKey = "payment_id";

    public const string OrderIdKey = "order_id";

    /// <summary>Stable id of the operator alert logged when Stripe refuses the secret key.</summary>
    public static readonly EventId AuthenticationAlert = new(1401, "StripeAuthenticationFailed");

    private readonly PaymentMethodService paymentMethods;
    private readonly PaymentIntentService paymentIntents;
    private readonly RefundService refunds;
    private readonly ResiliencePipeline retries;
    private readonly PaymentProviderHealth health;
    private readonly ILogger<StripePaymentGateway> logger;

    public StripePaymentGateway(IOptions<StripeOptions> options, PaymentProviderHealth health, ILogger<StripePaymentGateway> logger)
    {
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.SecretKey))
        {
            throw new InvalidOperationException("Commerce:Payments:Provider is 'stripe' but Commerce:Payments:Stripe:SecretKey is not set (environment: Commerce__Payments__Stripe__SecretKey).");
        }
        // maxNetworkRetries 0: the SDK's retries would go out under whatever key the SDK picks; ours reuse the caller's.
        var http = new HttpClient { Timeout = settings.RequestTimeout };
        var client = new StripeClient(new StripeClientOptions
        {
            ApiKey = settings.SecretKey,
            ApiBase = string.IsNullOrWhiteSpace(settings.ApiBase) ? null : settings.ApiBase,
            HttpClient = new SystemNetHttpClient(http, maxNetworkRetries: 0),
        });
        paymentMethods = new PaymentMethodService(client);
        paymentIntents = new PaymentIntentService(client);
        refunds = new RefundService(client);
        this.health = health;
        this.logger = logger;
        // No retries (Retries = 0) leaves them all to the caller's saga.
        retries = settings.Retries <= 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = settings.Retries,
            Delay = settings.RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        }).Build();
    }

    public Task<PaymentMethodResult> CreatePaymentMethod(CardDetails card, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(card);
        return Call(async ct =>
        {
            try
            {
                var method = await paymentMethods.CreateAsync(new PaymentMethodCreateOptions
                {
                    Type = "card",
                    Card = new PaymentMethodCardOptions { Number = card.Number, ExpMonth = card.ExpMonth, ExpYear = card.ExpYear, Cvc = card.Cvc },
                }, cancellationToken: ct);
                return new PaymentMethodResult(new PaymentMethod(method.Id, method.Card?.Brand ?? "card", method.Card?.Last4 ?? ""));
            }
            catch (StripeException e) when (Refusal(e) is { } refusal)
            {
                return new PaymentMethodResult(null, refusal.FailureCode, refusal.Message);
            }
        }, "create a payment method", cancellationToken);
    }

    public Task<GatewayResult> Authorize(string idempotencyKey, string paymentMethodId, Money amount, PaymentReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(amount);
        ArgumentNullException.ThrowIfNull(reference);
        if (amount.Amount <= 0)
        {
            return Task.FromResult(GatewayResult.Failed("amount_too_small", "An authorization is for an amount above zero."));
        }
        var create = new PaymentIntentCreateOptions
        {
            Amount = MinorUnits.ToMinor(amount),
            Currency = amount.Currency.ToLowerInvariant(),
            PaymentMethod = paymentMethodId,
            CaptureMethod = "manual",
            Confirm = true,
            // Cards only, and no redirect: 3-D Secure is completed with the client secret in the browser.
            AutomaticPaymentMethods = new PaymentIntentAutomaticPaymentMethodsOptions { Enabled = true, AllowRedirects = "never" },
            Metadata = new Dictionary<string, string> { [PaymentIdKey] = reference.PaymentId, [OrderIdKey] = reference.OrderId },
        };
        return Money(idempotencyKey, "authorize", async ct =>
        {
            var intent = await paymentIntents.CreateAsync(create, Keyed(idempotencyKey), ct);
            // 3-D Secure: the intent waits for the customer, who completes it in the browser with the client secret.
            return intent.Status == "requires_action"
                ? new GatewayResult(Charge(intent), Action: new PaymentAction(intent.ClientSecret, intent.NextAction?.Type ?? "use_stripe_sdk", intent.NextAction?.RedirectToUrl?.Url))
                : new GatewayResult(Charge(intent));
        }, cancellationToken);
    }

    public Task<GatewayResult> Capture(string idempotencyKey, string chargeId, Money amount, CancellationToken cancellationToken) =>
        Money(idempotencyKey, "capture", async ct => new GatewayResult(Charge(await paymentIntents.CaptureAsync(chargeId,
            new PaymentIntentCaptureOptions { AmountToCapture = MinorUnits.ToMinor(amount) }, Keyed(idempotencyKey), ct))), cancellationToken);

    public Task<GatewayResult> Void(string idempotencyKey, string chargeId, CancellationToken cancellationToken) =>
        Money(idempotencyKey, "void", async ct =>
        {
            try
            {
                return new GatewayResult(Charge(await paymentIntents.CancelAsync(chargeId, new PaymentIntentCancelOptions(), Keyed(idempotencyKey), ct)));
            }
            catch (StripeException e) when (e.StripeError?.Code == "payment_intent_unexpected_state" && e.StripeError.PaymentIntent is { } intent)
            {
                // Cancelled already is what was asked; captured already is what the caller needs to know (it refunds instead).
                return intent.Status == "canceled"
                    ? new GatewayResult(Charge(intent))
                    : GatewayResult.Failed(intent.Status == "succeeded" ? "charge_already_captured" : "payment_intent_unexpected_state", e.StripeError.Message);
            }
        }, cancellationToken);

    public Task<GatewayResult> Refund(string idempotencyKey, string chargeId, Money amount, CancellationToken cancellationToken) =>
        Money(idempotencyKey, "refund", async ct =>
        {
            await refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = chargeId, Amount = MinorUnits.ToMinor(amount) }, Keyed(idempotencyKey), ct);
            // The refund's answer is the refund; the charge, with every refund so far, is read afterwards (a read moves no money).
            var intent = await paymentIntents.GetAsync(chargeId, new PaymentIntentGetOptions { Expand = ["latest_charge"] }, cancellationToken: ct);
            return new GatewayResult(Charge(intent));
        }, cancellationToken);

    /// <summary>The intent as Stripe has it now (a read: no key needed, retried like the rest).</summary>
    public Task<PaymentIntent> ReadIntent(string intentId, CancellationToken cancellationToken) =>
        Call(ct => paymentIntents.GetAsync(intentId, cancellationToken: ct), "read a payment intent", cancellationToken);

    /// <summary>A charge as the rest of the system counts it, from the intent: amounts back from minor units, the refunds from its charge when expanded.</summary>
    public static GatewayCharge Charge(PaymentIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var currency = intent.Currency.ToUpperInvariant();
        var status = intent.Status switch
        {
            "succeeded" => ChargeStatus.Captured,
            "canceled" => ChargeStatus.Voided,
            "requires_action" => ChargeStatus.RequiresAction,
            _ => ChargeStatus.Authorized,
        };
        return new GatewayCharge(intent.Id, new Money(MinorUnits.FromMinor(intent.Amount, currency), currency),
            MinorUnits.FromMinor(intent.AmountReceived, currency), MinorUnits.FromMinor(intent.LatestCharge?.AmountRefunded ?? 0, currency), status);
    }

    /// <summary>A money-moving call: a refusal is an answer; the rest is <see cref="Call"/>.</summary>
    private Task<GatewayResult> Money(string idempotencyKey, string action, Func<CancellationToken, Task<GatewayResult>> act, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
        return Call(async ct =>
        {
            try
            {
                return await act(ct);
            }
            catch (StripeException e) when (Refusal(e) is { } refusal)
            {
                return refusal;
            }
        }, action, cancellationToken);
    }

    /// <summary>Runs a request under the retries; a provider that stays away, or refuses the key, becomes <see cref="PaymentProviderUnavailableException"/>.</summary>
    private async Task<T> Call<T>(Func<CancellationToken, Task<T>> request, string action, CancellationToken cancellationToken)
    {
        try
        {
            return await retries.ExecuteAsync(async ct => await request(ct), cancellationToken);
        }
        catch (StripeException e) when (e.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            health.AuthenticationFailed();
            // Never the key itself: only that Stripe refused it.
            logger.LogCritical(AuthenticationAlert, "Stripe refused this system's secret key ({Status} {Type}) trying to {Action}: check Commerce:Payments:Stripe:SecretKey",
                (int)e.HttpStatusCode, e.StripeError?.Type, action);
            throw new PaymentProviderUnavailableException($"Stripe refused the credentials trying to {action}.", e);
        }
        catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            health.Unavailable();
            logger.LogWarning(e, "Stripe could not be reached trying to {Action}, retries included", action);
            throw new PaymentProviderUnavailableException($"Stripe could not be reached trying to {action}; ask again with the same idempotency key.", e);
        }
    }

    /// <summary>Stripe's answer to a request it refused for what was asked (a decline, an invalid amount, a state that forbids it): not worth retrying.</summary>
    private GatewayResult? Refusal(StripeException e)
    {
        if (e.StripeError is not { } error || IsTransient(e) || e.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return null;
        }
        var code = error.Type switch
        {
            "idempotency_error" => "idempotency_key_reused",
            // A declined card: the decline code says why (insufficient_funds...), except the generic one.
            "card_error" when error.DeclineCode is { Length: > 0 } decline && decline != "generic_decline" => decline,
            _ => error.Code ?? error.Type,
        };
        if (error.Type == "card_error")
        {
            health.Declined(code);
        }
        return GatewayResult.Failed(code, error.Message);
    }

    /// <summary>Stripe unreachable, failing (5xx), rate-limiting (429), locked (409 lock_timeout) or too slow: the same request may be sent again.</summary>
    private static bool IsTransient(Exception e) => e switch
    {
        StripeException stripe => stripe.HttpStatusCode is >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict
            || (stripe.StripeError is null && stripe.InnerException is { } inner && IsTransient(inner)),
        HttpRequestException or TimeoutException => true,
        // HttpClient's own timeout; a cancellation the caller asked for is not retried (Polly stops on it).
        TaskCanceledException => true,
        _ => false,
    };

    private static RequestOptions Keyed(string idempotencyKey) => new() { IdempotencyKey = idempotencyKey };
}
