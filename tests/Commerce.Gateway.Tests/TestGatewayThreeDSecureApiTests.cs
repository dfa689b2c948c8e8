using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Gateway.Tests;

/// <summary>
/// 3-D Secure with the built-in gateway (the default provider): the test card 4000 0025 0000 3155 makes the
/// checkout wait for the customer, and the test bank's endpoint answers for them as Stripe's page would.
/// </summary>
public sealed class TestGatewayThreeDSecureApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private const string ThreeDSecureCard = "4000002500003155";

    private Storefront Store => new(server);

    /// <summary>A checkout with the 3-D Secure card: 202, the order pending, the payment and the charge waiting, nothing captured.</summary>
    private async Task<(HttpClient Customer, string Key, JsonElement Order, string ChargeId, string Secret)> AwaitingAuthentication(string sku)
    {
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var key = Guid.NewGuid().ToString();
        var order = await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(ThreeDSecureCard))).Read<JsonElement>(HttpStatusCode.Accepted);
        Assert.Equal(("Pending", true), (order.GetProperty("status").GetString(), order.GetProperty("inProgress").GetBoolean()));
        var action = order.GetProperty("paymentAction");
        Assert.Equal("redirect_to_url", action.GetProperty("nextAction").GetString());
        // A page of the storefront, on the gateway's own origin, that carries the charge and its secret.
        var redirect = new Uri(server.BaseAddress, action.GetProperty("redirectUrl").GetString());
        Assert.Equal((server.BaseAddress.Authority, "/payments/authenticate"), (redirect.Authority, redirect.AbsolutePath));
        var query = HttpUtility.ParseQueryString(redirect.Query);
        var (chargeId, secret) = (query["charge"]!, query["secret"]!);
        Assert.Equal(action.GetProperty("clientSecret").GetString(), secret);
        Assert.StartsWith(chargeId + "_secret_", secret, StringComparison.Ordinal);
        Assert.Equal(new[] { ("RequiresAction", 0m) }, await Charges(order.GetProperty("orderId").GetString()!));
        Assert.Equal("RequiresAction", (await Payment(order)).GetProperty("status").GetString());
        return (customer, key, order, chargeId, secret);
    }

    /// <summary>The bank's page calls without a token: the client secret is the credential.</summary>
    private Task<HttpResponseMessage> Answer(string chargeId, string secret, string outcome) =>
        server.Anonymous().PostAsJsonAsync($"/api/v1/payments/test-authentications/{chargeId}", new { clientSecret = secret, outcome });

    private async Task<JsonElement> Payment(JsonElement order)
    {
        using var operators = await server.Operator();
        return await (await operators.GetAsync($"/api/v1/payments/{order.GetProperty("paymentId").GetString()}")).Read<JsonElement>();
    }

    private static int Count(JsonElement payment, string kind) => payment.GetProperty("history").EnumerateArray().Count(e => e.GetProperty("kind").GetString() == kind);

    /// <summary>The built-in gateway's own books for the order: each charge's status and what it captured.</summary>
    private async Task<List<(string Status, decimal Captured)>> Charges(string orderId)
    {
        await using var command = server.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT status, captured FROM test_gateway_charges WHERE reference = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = orderId });
        var charges = new List<(string, decimal)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            charges.Add((reader.GetString(0), reader.GetDecimal(1)));
        }
        return charges;
    }

    /// <summary>The order once its saga is done: well inside the saga reminder's first tick (a minute), so it was the payment's nudge that moved it.</summary>
    private static async Task<JsonElement> Settled(HttpClient customer, string orderId) =>
        await Eventually.Value(async () => await (await customer.GetAsync($"/api/v1/orders/{orderId}")).Read<JsonElement>(), o => !o.GetProperty("inProgress").GetBoolean(),
            $"order {orderId} settled", TimeSpan.FromSeconds(30), o => o.GetRawText());

    [Fact]
    public async Task A_3DS_checkout_waits_for_the_test_bank_and_completing_it_confirms_and_captures_once()
    {
        var sku = await Store.Sku(20m, stock: 5);
        var (customer, key, waiting, chargeId, secret) = await AwaitingAuthentication(sku);
        var orderId = waiting.GetProperty("orderId").GetString()!;
        // Asked again with the same key, the checkout still waits and answers the same action.
        var again = await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(ThreeDSecureCard))).Read<JsonElement>(HttpStatusCode.Accepted);
        Assert.Equal(waiting.GetProperty("paymentAction").GetRawText(), again.GetProperty("paymentAction").GetRawText());

        // A wrong secret (or another charge's) is as no charge at all, and changes nothing.
        var before = (await Payment(waiting)).GetRawText();
        await (await Answer(chargeId, secret[..^1] + (secret[^1] == '0' ? '1' : '0'), "succeed")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-authentication");
        await (await Answer("ch_nosuchcharge", secret, "succeed")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-authentication");
        Assert.Equal(before, (await Payment(waiting)).GetRawText());
        Assert.Equal(new[] { ("RequiresAction", 0m) }, await Charges(orderId));

        var receipt = await (await Answer(chargeId, secret, "succeed")).Read<JsonElement>();
        Assert.Equal((chargeId, "succeed"), (receipt.GetProperty("chargeId").GetString(), receipt.GetProperty("outcome").GetString()));
        var order = await Settled(customer, orderId);

        Assert.Equal("Confirmed", order.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, order.GetProperty("paymentAction").ValueKind);
        var total = order.GetProperty("total").GetProperty("amount").GetDecimal();
        Assert.Equal(new[] { ("Captured", total) }, await Charges(orderId));
        var payment = await Payment(order);
        Assert.Equal(("Captured", total, 1, 1, 1), (payment.GetProperty("status").GetString(), payment.GetProperty("captured").GetDecimal(),
            Count(payment, "requires-action"), Count(payment, "authorized"), Count(payment, "captured")));
        Assert.Equal(4, await Store.Available(sku));

        // The same answer again (a double click, a retry): the same receipt, and nothing changes; the other answer is too late.
        Assert.Equal(receipt.GetRawText(), (await (await Answer(chargeId, secret, "succeed")).Read<JsonElement>()).GetRawText());
        await (await Answer(chargeId, secret, "fail")).AssertProblem(HttpStatusCode.Conflict, code: "authentication-not-waiting");
        Assert.Equal(payment.GetRawText(), (await Payment(order)).GetRawText());
        Assert.Equal(new[] { ("Captured", total) }, await Charges(orderId));
        // The checkout's answer to its key now: the order, placed.
        Assert.Equal("Confirmed", (await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(ThreeDSecureCard))).Read<JsonElement>(HttpStatusCode.Created))
            .GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_3DS_checkout_whose_authentication_fails_is_cancelled_with_the_stock_back_and_nothing_charged()
    {
        var sku = await Store.Sku(20m, stock: 5);
        var (customer, key, waiting, chargeId, secret) = await AwaitingAuthentication(sku);
        var orderId = waiting.GetProperty("orderId").GetString()!;
        Assert.Equal(4, await Store.Available(sku));

        var receipt = await (await Answer(chargeId, secret, "fail")).Read<JsonElement>();
        var order = await Settled(customer, orderId);

        Assert.Equal(("Cancelled", "payment-declined"), (order.GetProperty("status").GetString(), order.GetProperty("cancellationCode").GetString()));
        Assert.Equal(new[] { ("Voided", 0m) }, await Charges(orderId));
        var payment = await Payment(order);
        Assert.Equal(("Declined", 0m, "payment_intent_authentication_failure"),
            (payment.GetProperty("status").GetString(), payment.GetProperty("captured").GetDecimal(), payment.GetProperty("failureCode").GetString()));
        Assert.Equal(5, await Store.Available(sku));
        // The checkout's answer now: declined, with why.
        var problem = await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout(ThreeDSecureCard))).AssertProblem(HttpStatusCode.PaymentRequired, code: "payment-declined");
        Assert.Equal("payment_intent_authentication_failure", problem.GetProperty("declineCode").GetString());

        // Failing again answers the same; completing it now is refused: a failed challenge can hold nothing later.
        Assert.Equal(receipt.GetRawText(), (await (await Answer(chargeId, secret, "fail")).Read<JsonElement>()).GetRawText());
        await (await Answer(chargeId, secret, "succeed")).AssertProblem(HttpStatusCode.Conflict, code: "authentication-not-waiting");
        Assert.Equal(payment.GetRawText(), (await Payment(order)).GetRawText());
        Assert.Equal(new[] { ("Voided", 0m) }, await Charges(orderId));
        Assert.Equal(5, await Store.Available(sku));
    }

    [Fact]
    public async Task A_malformed_answer_is_400_naming_the_field_and_changes_nothing()
    {
        var sku = await Store.Sku(20m, stock: 5);
        var (_, _, waiting, chargeId, secret) = await AwaitingAuthentication(sku);
        var before = (await Payment(waiting)).GetRawText();
        using var anonymous = server.Anonymous();

        await (await anonymous.PostAsJsonAsync($"/api/v1/payments/test-authentications/{chargeId}", new { clientSecret = secret, outcome = "maybe" }))
            .AssertProblem(HttpStatusCode.BadRequest, field: "outcome");
        await (await anonymous.PostAsJsonAsync($"/api/v1/payments/test-authentications/{chargeId}", new { outcome = "succeed" }))
            .AssertProblem(HttpStatusCode.BadRequest, field: "clientSecret");
        await (await anonymous.PostAsJsonAsync($"/api/v1/payments/test-authentications/{chargeId}", new { clientSecret = 7, outcome = "succeed" }))
            .AssertProblem(HttpStatusCode.BadRequest, field: "clientSecret");

        Assert.Equal(before, (await Payment(waiting)).GetRawText());
        Assert.Equal(new[] { ("RequiresAction", 0m) }, await Charges(waiting.GetProperty("orderId").GetString()!));
    }
}
