using Commerce.Payments;
using Commerce.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Grains.Tests;

/// <summary>The Stripe provider against the project's loopback stand-in for Stripe (Stripe itself cannot be reached from here).</summary>
public sealed class StripeGatewayTests : IAsyncLifetime
{
    private StripeStandIn stripe = null!;
    private readonly PaymentProviderHealth health = new(TimeProvider.System);

    public async Task InitializeAsync() => stripe = await StripeStandIn.StartAsync();

    public async Task DisposeAsync() => await stripe.DisposeAsync();

    private StripePaymentGateway Gateway(string secretKey = StripeStandIn.SecretKey, TimeSpan? timeout = null, int retries = 3) =>
        new(Options.Create(new StripeOptions
        {
            SecretKey = secretKey,
            ApiBase = stripe.ApiBase,
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(20),
            Retries = retries,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        }), health, NullLogger<StripePaymentGateway>.Instance);

    private static PaymentReference Reference(string paymentId) => new(paymentId, "ord_" + paymentId);

    private static string NewPaymentId() => "pay_" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public void Minor_units_follow_the_currency_exponent_in_decimal()
    {
        Assert.Equal(1234, MinorUnits.ToMinor(new Money(12.34m, "EUR")));
        Assert.Equal(1234, MinorUnits.ToMinor(new Money(1234m, "JPY")));
        Assert.Equal(1234, MinorUnits.ToMinor(new Money(1.234m, "KWD")));
        Assert.Equal(12.34m, MinorUnits.FromMinor(1234, "EUR"));
        Assert.Equal(1234m, MinorUnits.FromMinor(1234, "jpy"));
        // A fraction of the smallest unit is refused, never rounded.
        Assert.Throws<ArgumentException>(() => MinorUnits.ToMinor(new Money(12.5m, "JPY")));
        Assert.Throws<ArgumentException>(() => MinorUnits.ToMinor(new Money(0.001m, "EUR")));
    }

    [Theory]
    [InlineData("EUR", "49.99", 4999)]
    [InlineData("JPY", "4999", 4999)]
    public async Task Authorize_capture_and_partial_refunds_reach_stripe_in_minor_units(string currency, string price, long minor)
    {
        var gateway = Gateway();
        var paymentId = NewPaymentId();
        var amount = new Money(decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), currency);
        var authorized = await gateway.Authorize(paymentId + ":authorize", "pm_card_visa", amount, Reference(paymentId), CancellationToken.None);
        Assert.True(authorized.Succeeded, authorized.Message);
        var intent = stripe.Intent(authorized.Charge!.ChargeId)!;
        Assert.Equal(minor, intent["amount"]!.GetValue<long>());
        Assert.Equal(currency.ToLowerInvariant(), intent["currency"]!.GetValue<string>());
        Assert.Equal("manual", intent["capture_method"]!.GetValue<string>());
        Assert.Equal(paymentId, intent["metadata"]!["payment_id"]!.GetValue<string>());
        Assert.Equal(new GatewayCharge(intent["id"]!.GetValue<string>(), amount, 0, 0, ChargeStatus.Authorized), authorized.Charge);

        var captured = await gateway.Capture(paymentId + ":capture", authorized.Charge.ChargeId, amount, CancellationToken.None);
        Assert.Equal(ChargeStatus.Captured, captured.Charge!.Status);
        Assert.Equal(amount.Amount, captured.Charge.Captured);

        var part = amount with { Amount = currency == "JPY" ? 1000m : 10m };
        var refunded = await gateway.Refund(paymentId + ":refund:1", authorized.Charge.ChargeId, part, CancellationToken.None);
        Assert.True(refunded.Succeeded, refunded.Message);
        Assert.Equal(part.Amount, refunded.Charge!.Refunded);
        // More than is left: Stripe refuses, and so the gateway answers a refusal (not an exception).
        var tooMuch = await gateway.Refund(paymentId + ":refund:2", authorized.Charge.ChargeId, amount, CancellationToken.None);
        Assert.Equal("amount_too_large", tooMuch.FailureCode);
    }

    [Theory]
    [InlineData("4000000000000002", "card_declined")]
    [InlineData("4000000000009995", "insufficient_funds")]
    public async Task Stripe_test_cards_decline_with_their_decline_code(string number, string code)
    {
        var gateway = Gateway();
        var method = await gateway.CreatePaymentMethod(new CardDetails(number, 12, DateTime.UtcNow.Year + 2, "123"), CancellationToken.None);
        Assert.True(method.Succeeded, method.Message);
        var paymentId = NewPaymentId();
        var result = await gateway.Authorize(paymentId + ":authorize", method.Method!.Id, new Money(10m, "EUR"), Reference(paymentId), CancellationToken.None);
        Assert.Equal(code, result.FailureCode);
        Assert.Equal(1, health.Figures("stripe").Declines[code]);
    }

    [Fact]
    public async Task An_unknown_card_number_is_refused_as_stripe_refuses_it()
    {
        var method = await Gateway().CreatePaymentMethod(new CardDetails("4111111111111112", 12, DateTime.UtcNow.Year + 2, "123"), CancellationToken.None);
        Assert.Equal("incorrect_number", method.FailureCode);
    }

    [Fact]
    public async Task Every_money_moving_request_carries_the_callers_key_and_a_repeat_is_the_same_request()
    {
        var gateway = Gateway();
        var paymentId = NewPaymentId();
        var amount = new Money(20m, "EUR");
        var first = await gateway.Authorize(paymentId + ":authorize", "pm_card_visa", amount, Reference(paymentId), CancellationToken.None);
        var again = await gateway.Authorize(paymentId + ":authorize", "pm_card_visa", amount, Reference(paymentId), CancellationToken.None);
        Assert.Equal(first.Charge!.ChargeId, again.Charge!.ChargeId);
        Assert.Single(stripe.IntentsWithMetadata("payment_id", paymentId));
        await gateway.Capture(paymentId + ":capture", first.Charge.ChargeId, amount, CancellationToken.None);
        await gateway.Refund(paymentId + ":refund:r1", first.Charge.ChargeId, amount with { Amount = 5m }, CancellationToken.None);
        var posts = stripe.Requests.Where(r => r.Method == "POST" && r.Path != "/v1/payment_methods").ToList();
        Assert.Equal(4, posts.Count);
        Assert.All(posts, r => Assert.StartsWith(paymentId + ":", r.IdempotencyKey));
    }

    [Fact]
    public async Task The_stand_in_refuses_a_key_reused_for_other_parameters_and_the_gateway_says_so()
    {
        var gateway = Gateway();
        var paymentId = NewPaymentId();
        Assert.True((await gateway.Authorize(paymentId + ":authorize", "pm_card_visa", new Money(20m, "EUR"), Reference(paymentId), CancellationToken.None)).Succeeded);
        var reused = await gateway.Authorize(paymentId + ":authorize", "pm_card_visa", new Money(21m, "EUR"), Reference(paymentId), CancellationToken.None);
        Assert.Equal("idempotency_key_reused", reused.FailureCode);
        Assert.Single(stripe.IntentsWithMetadata("payment_id", paymentId));
    }

    [Fact]
    public async Task Failures_of_stripe_are_retried_with_the_same_key_and_act_once()
    {
        var gateway = Gateway();
        var paymentId = NewPaymentId();
        stripe.FailNext(2);
        var authorized = await gateway.Authorize(paymentId + ":authorize", "pm_card_visa", new Money(20m, "EUR"), Reference(paymentId), CancellationToken.None);
        Assert.True(authorized.Succeeded, authorized.Message);
        Assert.Equal(3, stripe.RequestsTo("/v1/payment_intents"));
        Assert.All(stripe.Requests.Where(r => r.Path == "/v1/payment_intents"), r => Assert.Equal(paymentId + ":authorize", r.IdempotencyKey));
        Assert.Single(stripe.IntentsWithMetadata("payment_id", paymentId));
    }

    [Fact]
    public async Task A_capture_that_timed_out_is_retried_with_the_same_key_and_captures_once()
    {
        var gateway = Gateway(timeout: TimeSpan.FromMilliseconds(500));
        var paymentId = NewPaymentId();
        var amount = new Money(20m, "EUR");
        var authorized = await gateway.Authorize(paymentId + ":authorize", "pm_card_visa", amount, Reference(paymentId), CancellationToken.None);
        stripe.TimeOutNext();
        var captured = await gateway.Capture(paymentId + ":capture", authorized.Charge!.ChargeId, amount, CancellationToken.None);
        Assert.True(captured.Succeeded, captured.Message);
        var path = $"/v1/payment_intents/{authorized.Charge.ChargeId}/capture";
        Assert.Equal(2, stripe.RequestsTo(path));
        Assert.All(stripe.Requests.Where(r => r.Path == path), r => Assert.Equal(paymentId + ":capture", r.IdempotencyKey));
        Assert.Equal(2000, stripe.Intent(authorized.Charge.ChargeId)!["amount_received"]!.GetValue<long>());
    }

    [Fact]
    public async Task Stripe_away_after_every_retry_is_in_doubt_not_refused()
    {
        var gateway = Gateway(retries: 2);
        var paymentId = NewPaymentId();
        stripe.FailNext(3);
        await Assert.ThrowsAsync<PaymentProviderUnavailableException>(() =>
            gateway.Authorize(paymentId + ":authorize", "pm_card_visa", new Money(20m, "EUR"), Reference(paymentId), CancellationToken.None));
        Assert.Equal(1, health.Figures("stripe").Unavailable);
        // The saga's next try, under the same key, authorizes once.
        var later = await gateway.Authorize(paymentId + ":authorize", "pm_card_visa", new Money(20m, "EUR"), Reference(paymentId), CancellationToken.None);
        Assert.True(later.Succeeded, later.Message);
        Assert.Single(stripe.IntentsWithMetadata("payment_id", paymentId));
    }

    [Fact]
    public async Task A_refused_secret_key_is_an_operator_alert_and_in_doubt_for_the_caller()
    {
        var gateway = Gateway(secretKey: "sk_test_revoked");
        var paymentId = NewPaymentId();
        var error = await Assert.ThrowsAsync<PaymentProviderUnavailableException>(() =>
            gateway.Authorize(paymentId + ":authorize", "pm_card_visa", new Money(20m, "EUR"), Reference(paymentId), CancellationToken.None));
        Assert.DoesNotContain("sk_test_revoked", error.ToString());
        var figures = health.Figures("stripe");
        Assert.Equal(1, figures.AuthenticationFailures);
        Assert.NotNull(figures.LastAuthenticationFailure);
        // Not retried: another try with a revoked key cannot succeed.
        Assert.Equal(1, stripe.RequestsTo("/v1/payment_intents"));
    }

    [Fact]
    public async Task Voiding_twice_is_voided_and_voiding_a_captured_charge_says_it_was_captured()
    {
        var gateway = Gateway();
        var amount = new Money(20m, "EUR");
        var voidedId = NewPaymentId();
        var toVoid = await gateway.Authorize(voidedId + ":authorize", "pm_card_visa", amount, Reference(voidedId), CancellationToken.None);
        Assert.Equal(ChargeStatus.Voided, (await gateway.Void(voidedId + ":void", toVoid.Charge!.ChargeId, CancellationToken.None)).Charge!.Status);
        Assert.Equal(ChargeStatus.Voided, (await gateway.Void(voidedId + ":void-again", toVoid.Charge.ChargeId, CancellationToken.None)).Charge!.Status);

        var capturedId = NewPaymentId();
        var toCapture = await gateway.Authorize(capturedId + ":authorize", "pm_card_visa", amount, Reference(capturedId), CancellationToken.None);
        await gateway.Capture(capturedId + ":capture", toCapture.Charge!.ChargeId, amount, CancellationToken.None);
        Assert.Equal("charge_already_captured", (await gateway.Void(capturedId + ":void", toCapture.Charge.ChargeId, CancellationToken.None)).FailureCode);
    }
}
