using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Testing;

namespace Commerce.Gateway.Tests;

/// <summary>The gateway with <c>Commerce:Payments:Provider=stripe</c>, pointed at the loopback stand-in for Stripe.</summary>
public sealed class StripeGatewayServer : GatewayServer, IAsyncLifetime
{
    public StripeStandIn Stripe { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Commerce:Payments:Provider"] = "stripe",
        ["Commerce:Payments:Stripe:SecretKey"] = StripeStandIn.SecretKey,
        ["Commerce:Payments:Stripe:WebhookSecret"] = StripeStandIn.WebhookSecret,
        ["Commerce:Payments:Stripe:ApiBase"] = Stripe.ApiBase,
        ["Commerce:Payments:Stripe:RetryDelay"] = "00:00:00.010",
    };

    public new async Task InitializeAsync()
    {
        Stripe = await StripeStandIn.StartAsync();
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Stripe.DisposeAsync();
    }

    public Uri Webhook => new(BaseAddress, "/api/v1/payments/stripe/webhook");
}

public sealed class StripeCheckoutApiTests(StripeGatewayServer server) : IClassFixture<StripeGatewayServer>
{
    private Storefront Store => new(server);

    private StripeStandIn Stripe => server.Stripe;

    /// <summary>A placed, captured order through the Stripe provider: its payment id and intent id.</summary>
    private async Task<(string PaymentId, string IntentId, HttpClient Customer)> PaidOrder(decimal price = 25m)
    {
        var sku = await Store.Sku(price, stock: 5);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var order = await (await Storefront.PlaceOrder(customer, Guid.NewGuid().ToString())).Read<JsonElement>(HttpStatusCode.Created);
        var paymentId = order.GetProperty("paymentId").GetString()!;
        var intent = Assert.Single(Stripe.IntentsWithMetadata("payment_id", paymentId));
        return (paymentId, intent["id"]!.GetValue<string>(), customer);
    }

    private async Task<JsonElement> Payment(string paymentId)
    {
        using var operators = await server.Operator();
        return await (await operators.GetAsync($"/api/v1/payments/{paymentId}")).Read<JsonElement>();
    }

    private static int Count(JsonElement payment, string kind) => payment.GetProperty("history").EnumerateArray().Count(e => e.GetProperty("kind").GetString() == kind);

    [Fact]
    public async Task The_stripe_provider_places_a_paid_order_end_to_end()
    {
        var (paymentId, intentId, _) = await PaidOrder(price: 19.99m);
        var payment = await Payment(paymentId);
        Assert.Equal(("Captured", "4242"), (payment.GetProperty("status").GetString(), payment.GetProperty("cardLast4").GetString()));
        var intent = Stripe.Intent(intentId)!;
        Assert.Equal(("succeeded", "eur"), (intent["status"]!.GetValue<string>(), intent["currency"]!.GetValue<string>()));
        Assert.Equal(MinorOf(payment.GetProperty("amount").GetProperty("amount").GetDecimal()), intent["amount_received"]!.GetValue<long>());
        Assert.Equal(1, Stripe.RequestsTo($"/v1/payment_intents/{intentId}/capture"));
        var moves = Stripe.Requests.Where(r => r.Method == "POST" && (r.Path == "/v1/payment_intents" ? r.Parameters["metadata[payment_id]"] == paymentId : r.Path.Contains(intentId, StringComparison.Ordinal))).ToList();
        Assert.Equal(2, moves.Count);
        Assert.All(moves, r => Assert.StartsWith(paymentId + ":", r.IdempotencyKey));
    }

    [Theory]
    [InlineData("4000000000000002", "card_declined")]
    [InlineData("4000000000009995", "insufficient_funds")]
    public async Task A_declined_card_is_402_payment_declined_with_stripes_decline_code(string card, string declineCode)
    {
        var sku = await Store.Sku(10m, stock: 5);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var key = Guid.NewGuid().ToString();
        var problem = await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(card)))
            .AssertProblem(HttpStatusCode.PaymentRequired, code: "payment-declined");
        Assert.Equal(declineCode, problem.GetProperty("declineCode").GetString());
        // The saved answer to a retry says the same.
        var replayed = await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(card))).AssertProblem(HttpStatusCode.PaymentRequired, code: "payment-declined");
        Assert.Equal(declineCode, replayed.GetProperty("declineCode").GetString());
    }

    [Fact]
    public async Task The_same_webhook_five_times_and_out_of_order_changes_the_payment_once()
    {
        var (paymentId, intentId, _) = await PaidOrder();
        var stale = Stripe.Event("payment_intent.amount_capturable_updated", intentId);
        var succeeded = Stripe.Event("payment_intent.succeeded", intentId);
        // A refund made at Stripe (its dashboard): only the webhook tells the shop.
        using (var direct = new HttpClient())
        {
            direct.DefaultRequestHeaders.Authorization = new("Bearer", StripeStandIn.SecretKey);
            (await direct.PostAsync(Stripe.ApiBase + "/v1/refunds", new FormUrlEncodedContent(new Dictionary<string, string> { ["payment_intent"] = intentId, ["amount"] = "500" }))).EnsureSuccessStatusCode();
        }
        var refunded = Stripe.Event("charge.refunded", intentId);
        var receipts = new List<JsonElement>();
        foreach (var payload in new[] { refunded, succeeded, refunded, stale, refunded, refunded, succeeded, refunded })
        {
            receipts.Add(await (await Stripe.SendWebhook(server.Webhook, payload)).Read<JsonElement>());
        }
        // Each event id applied once: the first delivery of each; the replays are acknowledged and ignored.
        Assert.Equal(3, receipts.Count(r => r.GetProperty("applied").GetBoolean()));
        var payment = await Payment(paymentId);
        Assert.Equal(("PartiallyRefunded", 5m), (payment.GetProperty("status").GetString(), payment.GetProperty("refunded").GetDecimal()));
        Assert.Equal((1, 1, 1), (Count(payment, "authorized"), Count(payment, "captured"), Count(payment, "refunded")));
        // Another event saying the same (Stripe may send two) changes nothing either.
        await (await Stripe.SendWebhook(server.Webhook, Stripe.Event("charge.refunded", intentId))).Read<JsonElement>();
        Assert.Equal(payment.GetRawText(), (await Payment(paymentId)).GetRawText());
    }

    [Fact]
    public async Task A_bad_or_stale_signature_is_400_and_changes_nothing()
    {
        var (paymentId, intentId, _) = await PaidOrder();
        using (var direct = new HttpClient())
        {
            direct.DefaultRequestHeaders.Authorization = new("Bearer", StripeStandIn.SecretKey);
            (await direct.PostAsync(Stripe.ApiBase + "/v1/refunds", new FormUrlEncodedContent(new Dictionary<string, string> { ["payment_intent"] = intentId }))).EnsureSuccessStatusCode();
        }
        var refunded = Stripe.Event("charge.refunded", intentId);
        var before = (await Payment(paymentId)).GetRawText();
        foreach (var signature in new[]
        {
            StripeStandIn.Signature(refunded.Replace("\"livemode\":false", "\"livemode\":true", StringComparison.Ordinal)),
            StripeStandIn.Signature(refunded, DateTimeOffset.UtcNow.AddMinutes(-10)),
            StripeStandIn.Signature(refunded, secret: "whsec_someone_else"),
            "t=1,v1=nonsense",
        })
        {
            await (await Stripe.SendWebhook(server.Webhook, refunded, signature)).AssertProblem(HttpStatusCode.BadRequest, field: "Stripe-Signature", code: "invalid-signature");
        }
        Assert.Equal(before, (await Payment(paymentId)).GetRawText());
        // Not recorded either: the genuine delivery of the same event is applied.
        Assert.True((await (await Stripe.SendWebhook(server.Webhook, refunded)).Read<JsonElement>()).GetProperty("applied").GetBoolean());
        Assert.Equal("Refunded", (await Payment(paymentId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_refund_larger_than_captured_is_422_and_reaches_no_provider()
    {
        var (paymentId, _, _) = await PaidOrder(price: 10m);
        using var operators = await server.Operator();
        var before = Stripe.RequestsTo("/v1/refunds");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/payments/{paymentId}/refunds") { Content = JsonContent.Create(new { amount = 1000m, reason = "too much" }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        await (await operators.SendAsync(request)).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "amount", code: "amount-too-large");
        Assert.Equal(before, Stripe.RequestsTo("/v1/refunds"));
        using var partial = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/payments/{paymentId}/refunds") { Content = JsonContent.Create(new { amount = 2.5m, reason = "scratched" }) };
        partial.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        Assert.Equal(2.5m, (await (await operators.SendAsync(partial)).Read<JsonElement>()).GetProperty("refunded").GetDecimal());
        Assert.Equal(before + 1, Stripe.RequestsTo("/v1/refunds"));
    }

    private const string ThreeDSecureCard = "4000002500003155";

    /// <summary>A checkout with the card that asks for 3-D Secure: 202, the order pending and the intent waiting for the customer.</summary>
    private async Task<(HttpClient Customer, string Key, JsonElement Order, string IntentId)> AwaitingAuthentication(string sku)
    {
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var key = Guid.NewGuid().ToString();
        var order = await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(ThreeDSecureCard))).Read<JsonElement>(HttpStatusCode.Accepted);
        Assert.Equal(("Pending", true), (order.GetProperty("status").GetString(), order.GetProperty("inProgress").GetBoolean()));
        var intent = Assert.Single(Stripe.IntentsWithMetadata("payment_id", order.GetProperty("paymentId").GetString()!));
        Assert.Equal("requires_action", intent["status"]!.GetValue<string>());
        var action = order.GetProperty("paymentAction");
        Assert.Equal(intent["client_secret"]!.GetValue<string>(), action.GetProperty("clientSecret").GetString());
        Assert.Equal("use_stripe_sdk", action.GetProperty("nextAction").GetString());
        return (customer, key, order, intent["id"]!.GetValue<string>());
    }

    /// <summary>
    /// The order once its saga is done. Patience well inside the saga reminder's first tick (a minute here), so
    /// what moved a waiting order on is the payment's nudge (ResumeSaga) when the webhook arrived, not the reminder.
    /// </summary>
    private static async Task<JsonElement> Settled(HttpClient customer, string orderId) =>
        await Eventually.Value(async () => await (await customer.GetAsync($"/api/v1/orders/{orderId}")).Read<JsonElement>(), o => !o.GetProperty("inProgress").GetBoolean(),
            $"order {orderId} settled", TimeSpan.FromSeconds(30), o => o.GetRawText());

    [Fact]
    public async Task A_3DS_checkout_answers_202_with_the_client_secret_and_the_signed_webhook_confirms_and_captures_once()
    {
        var sku = await Store.Sku(20m, stock: 5);
        var (customer, key, waiting, intentId) = await AwaitingAuthentication(sku);
        var orderId = waiting.GetProperty("orderId").GetString()!;
        Assert.Equal("RequiresAction", (await Payment(waiting.GetProperty("paymentId").GetString()!)).GetProperty("status").GetString());
        // Asked again with the same key, the checkout still waits and answers the same action.
        var again = await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(ThreeDSecureCard))).Read<JsonElement>(HttpStatusCode.Accepted);
        Assert.Equal(waiting.GetProperty("paymentAction").GetRawText(), again.GetProperty("paymentAction").GetRawText());

        // The customer authenticates in the browser; Stripe tells the shop, and the saga goes on at once.
        Stripe.CompleteAuthentication(intentId);
        Assert.True((await (await Stripe.SendWebhook(server.Webhook, Stripe.Event("payment_intent.amount_capturable_updated", intentId))).Read<JsonElement>()).GetProperty("applied").GetBoolean());
        var order = await Settled(customer, orderId);

        Assert.Equal("Confirmed", order.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, order.GetProperty("paymentAction").ValueKind);
        var intent = Stripe.Intent(intentId)!;
        Assert.Equal(("succeeded", MinorOf(order.GetProperty("total").GetProperty("amount").GetDecimal())), (intent["status"]!.GetValue<string>(), intent["amount_received"]!.GetValue<long>()));
        Assert.Equal(1, Stripe.RequestsTo($"/v1/payment_intents/{intentId}/capture"));
        var payment = await Payment(order.GetProperty("paymentId").GetString()!);
        Assert.Equal(("Captured", 1, 1, 1), (payment.GetProperty("status").GetString(), Count(payment, "requires-action"), Count(payment, "authorized"), Count(payment, "captured")));
        Assert.Single(Stripe.IntentsWithMetadata("payment_id", order.GetProperty("paymentId").GetString()!));
        Assert.Equal(4, await Store.Available(sku));
    }

    [Fact]
    public async Task A_3DS_checkout_whose_authentication_fails_is_cancelled_with_nothing_captured()
    {
        var sku = await Store.Sku(20m, stock: 5);
        var (customer, key, waiting, intentId) = await AwaitingAuthentication(sku);
        Assert.Equal(4, await Store.Available(sku));

        Stripe.FailAuthentication(intentId);
        await (await Stripe.SendWebhook(server.Webhook, Stripe.Event("payment_intent.payment_failed", intentId))).Read<JsonElement>();
        var order = await Settled(customer, waiting.GetProperty("orderId").GetString()!);

        Assert.Equal(("Cancelled", "payment-declined"), (order.GetProperty("status").GetString(), order.GetProperty("cancellationCode").GetString()));
        Assert.Equal(0, Stripe.RequestsTo($"/v1/payment_intents/{intentId}/capture"));
        Assert.Equal(0, Stripe.Intent(intentId)!["amount_received"]!.GetValue<int>());
        Assert.Equal("Declined", (await Payment(order.GetProperty("paymentId").GetString()!)).GetProperty("status").GetString());
        Assert.Equal(5, await Store.Available(sku));
        // The checkout's answer now: declined, with why.
        var problem = await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(ThreeDSecureCard))).AssertProblem(HttpStatusCode.PaymentRequired, code: "payment-declined");
        Assert.Equal("payment_intent_authentication_failure", problem.GetProperty("declineCode").GetString());
    }

    [Fact]
    public async Task The_built_in_test_bank_is_404_when_payments_go_through_stripe()
    {
        var sku = await Store.Sku(20m, stock: 5);
        var (_, _, waiting, intentId) = await AwaitingAuthentication(sku);
        using var anonymous = server.Anonymous();

        var secret = waiting.GetProperty("paymentAction").GetProperty("clientSecret").GetString();
        await (await anonymous.PostAsJsonAsync($"/api/v1/payments/test-authentications/{intentId}", new { clientSecret = secret, outcome = "succeed" }))
            .AssertProblem(HttpStatusCode.NotFound, code: "test-gateway-not-configured");

        Assert.Equal("requires_action", Stripe.Intent(intentId)!["status"]!.GetValue<string>());
        Assert.Equal("RequiresAction", (await Payment(waiting.GetProperty("paymentId").GetString()!)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_webhook_before_the_checkout_answer_still_makes_one_payment_authorized_and_captured_once()
    {
        var sku = await Store.Sku(15m, stock: 5);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var hold = Stripe.HoldNextIntentCreate();
        var checkout = Storefront.PlaceOrder(customer, Guid.NewGuid().ToString());
        // Stripe has authorized (and would send its event), but the checkout has no answer yet.
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var paymentId = Stripe.Requests.Last(r => r.Path == "/v1/payment_intents").Parameters["metadata[payment_id]"];
        var intentId = Assert.Single(Stripe.IntentsWithMetadata("payment_id", paymentId))["id"]!.GetValue<string>();
        var capturable = Stripe.Event("payment_intent.amount_capturable_updated", intentId);
        var webhooks = new[] { Stripe.SendWebhook(server.Webhook, capturable), Stripe.SendWebhook(server.Webhook, capturable) };
        hold.Release();

        var order = await (await checkout).Read<JsonElement>(HttpStatusCode.Created);
        foreach (var delivered in await Task.WhenAll(webhooks))
        {
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        }
        // Stripe's event after the capture, delivered late: nothing more.
        await (await Stripe.SendWebhook(server.Webhook, Stripe.Event("payment_intent.succeeded", intentId))).Read<JsonElement>();

        Assert.Equal(("Confirmed", paymentId), (order.GetProperty("status").GetString(), order.GetProperty("paymentId").GetString()));
        Assert.Single(Stripe.IntentsWithMetadata("payment_id", paymentId));
        Assert.Single(Stripe.Requests, r => r.Path == "/v1/payment_intents" && r.Parameters["metadata[payment_id]"] == paymentId);
        Assert.Equal(1, Stripe.RequestsTo($"/v1/payment_intents/{intentId}/capture"));
        Assert.Equal(MinorOf(order.GetProperty("total").GetProperty("amount").GetDecimal()), Stripe.Intent(intentId)!["amount_received"]!.GetValue<long>());
        var payment = await Payment(paymentId);
        Assert.Equal(("Captured", 1, 1), (payment.GetProperty("status").GetString(), Count(payment, "authorized"), Count(payment, "captured")));
    }

    private static long MinorOf(decimal eur) => decimal.ToInt64(eur * 100);
}
