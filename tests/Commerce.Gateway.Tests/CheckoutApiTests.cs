using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Commerce.Gateway.Tests;

public sealed class CheckoutApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private Storefront Store => new(server);

    [Fact]
    public async Task Checkout_places_a_paid_order_the_customer_can_track_and_list_and_a_retry_gets_the_saved_answer()
    {
        var sku = await Store.Sku(19.99m, stock: 5);
        var (customer, customerId) = await Store.CustomerWith(sku, 2);
        var key = Guid.NewGuid().ToString();

        var first = await Storefront.PlaceOrder(customer, key);
        var order = await first.Read<JsonElement>(HttpStatusCode.Created);
        var orderId = order.GetProperty("orderId").GetString()!;
        Assert.Equal(("Confirmed", customerId, 39.98m), (order.GetProperty("status").GetString(), order.GetProperty("customerId").GetString(), order.GetProperty("subtotal").GetProperty("amount").GetDecimal()));
        Assert.Equal($"/api/v1/orders/{orderId}", first.Headers.Location!.OriginalString);

        var replay = await Storefront.PlaceOrder(customer, key);
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(order.GetRawText(), (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetRawText());

        var tracked = await (await customer.GetAsync($"/api/v1/orders/{orderId}")).Read<JsonElement>();
        Assert.Equal("Confirmed", tracked.GetProperty("status").GetString());
        var payment = await (await customer.GetAsync($"/api/v1/payments/{tracked.GetProperty("paymentId").GetString()}")).Read<JsonElement>();
        Assert.Equal(("Captured", "4242"), (payment.GetProperty("status").GetString(), payment.GetProperty("cardLast4").GetString()));
        Assert.Empty((await (await customer.GetAsync("/api/v1/cart")).Read<JsonElement>()).GetProperty("lines").EnumerateArray());
        Assert.Equal(3, await Store.Available(sku));
    }

    [Fact]
    public async Task The_checkout_options_are_the_terms_carts_apply_and_anyone_may_read_them()
    {
        var response = await server.Anonymous().GetAsync("/api/v1/checkout/options");
        var terms = await response.Read<JsonElement>();
        Assert.Equal(TimeSpan.FromMinutes(1), response.Headers.CacheControl?.MaxAge);
        Assert.Equal(("EUR", "standard"), (terms.GetProperty("currency").GetString(), terms.GetProperty("defaultShippingMethod").GetString()));
        var methods = terms.GetProperty("shippingMethods").EnumerateArray().Select(m => (
            m.GetProperty("method").GetString(), m.GetProperty("price").GetProperty("amount").GetDecimal(),
            m.GetProperty("freeFrom").ValueKind == JsonValueKind.Null ? (decimal?)null : m.GetProperty("freeFrom").GetProperty("amount").GetDecimal())).ToList();
        Assert.Equal([("standard", 4.95m, 50m), ("express", 9.95m, 150m), ("next-day", 19.95m, null)], methods);
        var regions = terms.GetProperty("regions").EnumerateArray().ToDictionary(r => r.GetProperty("region").GetString()!, r => r.GetProperty("taxRate").GetDecimal());
        Assert.Equal((0.19m, 0.0725m), (regions["DE"], regions["US-CA"]));

        // Exactly what a cart accepts: every method and region listed is taken, one not listed is refused.
        var sku = await Store.Sku(10m, stock: 1);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        foreach (var (method, _, _) in methods)
        {
            foreach (var region in regions.Keys)
            {
                (await customer.PutAsJsonAsync("/api/v1/cart/shipping", new { method, region })).EnsureSuccessStatusCode();
            }
        }
        await (await customer.PutAsJsonAsync("/api/v1/cart/shipping", new { method = "standard", region = "BR" })).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "region");
    }

    [Fact]
    public async Task Checkout_requires_an_idempotency_key_and_names_every_bad_field()
    {
        var (customer, _, _) = await server.SignedInCustomer();
        using var noKey = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(Storefront.Checkout()) };
        await (await customer.SendAsync(noKey)).AssertProblem(HttpStatusCode.BadRequest, field: "Idempotency-Key");

        var problem = await (await Storefront.PlaceOrder(customer, "k1", new { shipping = new { method = "standard" }, card = new { number = "4242424242424242" } })).AssertProblem(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "shipping.region", "shipping.address.name", "card.expMonth", "card.cvc" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"{field} is not named: {errors}");
        }
        await (await Storefront.PlaceOrder(customer, "k2", Storefront.Checkout("4111111111111111"))).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "card.number", code: "card-invalid");
        await (await Storefront.PlaceOrder(customer, "k3")).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "cart", code: "cart-empty");
        using var guest = await server.NewCustomer();
        await (await Storefront.PlaceOrder(guest, "k4")).AssertProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_same_key_with_a_different_body_is_a_422()
    {
        var sku = await Store.Sku(5m, stock: 5);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var key = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.Created, (await Storefront.PlaceOrder(customer, key)).StatusCode);

        await (await Storefront.PlaceOrder(customer, key, Storefront.Checkout("5555555555554444")))
            .AssertProblem(HttpStatusCode.UnprocessableEntity, field: "Idempotency-Key", code: "idempotency-key-reused");
    }

    [Fact]
    public async Task Fifty_concurrent_checkouts_with_one_key_make_one_order_and_one_authorization()
    {
        var sku = await Store.Sku(7m, stock: 100);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Storefront.PlaceOrder(customer, key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetString()));
        var orderId = Assert.Single(ids.Distinct());
        Assert.Equal(49, responses.Count(r => r.Headers.Contains("Idempotent-Replayed")));
        Assert.Equal(1, await Store.Authorizations(orderId!));
        Assert.Equal(99, await Store.Available(sku));
        var page = await (await customer.GetAsync("/api/v1/orders")).Read<JsonElement>();
        Assert.Single(page.GetProperty("orders").EnumerateArray());
    }

    [Fact]
    public async Task Too_many_checkouts_from_one_customer_get_429_and_place_nothing()
    {
        var sku = await Store.Sku(5m, stock: 10);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        // The test server allows 60 checkout requests per customer per ten minutes; these are refused
        // for a malformed key, as a card-testing bot's mostly fail, and still count.
        for (var i = 0; i < 60; i++)
        {
            await (await Storefront.PlaceOrder(customer, key: new string('k', 256))).AssertProblem(HttpStatusCode.BadRequest, field: "Idempotency-Key");
        }
        var refused = await Storefront.PlaceOrder(customer, Guid.NewGuid().ToString());
        await refused.AssertProblem(HttpStatusCode.TooManyRequests, code: "rate-limited");
        Assert.True(refused.Headers.RetryAfter is not null);
        Assert.Equal(10, await Store.Available(sku));
        Assert.Empty((await (await customer.GetAsync("/api/v1/orders")).Read<JsonElement>()).GetProperty("orders").EnumerateArray());

        // Another customer from the same address still checks out.
        var (other, _) = await Store.CustomerWith(sku, 1);
        Assert.Equal(HttpStatusCode.Created, (await Storefront.PlaceOrder(other, Guid.NewGuid().ToString())).StatusCode);
    }

    [Fact]
    public async Task Two_tabs_checking_out_the_last_unit_make_one_order_and_one_clear_out_of_stock()
    {
        var sku = await Store.Sku(250m, stock: 1);
        var (first, _) = await Store.CustomerWith(sku, 1);
        var (second, _) = await Store.CustomerWith(sku, 1);

        var responses = await Task.WhenAll(Storefront.PlaceOrder(first, Guid.NewGuid().ToString()), Storefront.PlaceOrder(second, Guid.NewGuid().ToString()));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        var problem = await Assert.Single(responses, r => r.StatusCode != HttpStatusCode.Created).AssertProblem(HttpStatusCode.Conflict, code: "out-of-stock");
        Assert.Contains(sku, problem.GetProperty("detail").GetString());
        Assert.Equal(0, await Store.Available(sku));
    }

    [Theory]
    [InlineData("4000000000000002", "card_declined")]
    [InlineData("4000000000009995", "insufficient_funds")]
    public async Task A_declined_card_is_a_402_and_leaves_no_hold(string card, string declineCode)
    {
        var sku = await Store.Sku(30m, stock: 2);
        var (customer, _) = await Store.CustomerWith(sku, 2);

        var problem = await (await Storefront.PlaceOrder(customer, Guid.NewGuid().ToString(), Storefront.Checkout(card))).AssertProblem(HttpStatusCode.PaymentRequired, field: "card.number", code: "payment-declined");

        Assert.Equal(declineCode, problem.GetProperty("declineCode").GetString());
        Assert.Contains(declineCode, problem.GetProperty("detail").GetString());
        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.5.3", problem.GetProperty("type").GetString());
        Assert.Equal(2, await Store.Available(sku));
        var order = await (await customer.GetAsync($"/api/v1/orders/{problem.GetProperty("orderId").GetString()}")).Read<JsonElement>();
        Assert.Equal(("Cancelled", "payment-declined"), (order.GetProperty("status").GetString(), order.GetProperty("cancellationCode").GetString()));
        // Never placed, it is not in the customer's history; operators still find it.
        Assert.Empty((await (await customer.GetAsync("/api/v1/orders")).Read<JsonElement>()).GetProperty("orders").EnumerateArray());
        using var operators = await server.Operator();
        var cancelled = await (await operators.GetAsync("/api/v1/orders?status=Cancelled&limit=100")).Read<JsonElement>();
        Assert.Contains(cancelled.GetProperty("orders").EnumerateArray(), o => o.GetProperty("orderId").GetString() == order.GetProperty("orderId").GetString());
    }

    [Fact]
    public async Task A_customer_cannot_see_or_touch_another_customers_order_or_payment_it_is_404()
    {
        var sku = await Store.Sku(10m, stock: 5);
        var (owner, _) = await Store.CustomerWith(sku, 1);
        var order = await (await Storefront.PlaceOrder(owner, Guid.NewGuid().ToString())).Read<JsonElement>(HttpStatusCode.Created);
        var orderId = order.GetProperty("orderId").GetString();
        var (stranger, _, _) = await server.SignedInCustomer();

        await (await stranger.GetAsync($"/api/v1/orders/{orderId}")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-order");
        await (await stranger.GetAsync("/api/v1/orders/ord_doesnotexist")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-order");
        await (await stranger.PostAsync($"/api/v1/orders/{orderId}/cancel", null)).AssertProblem(HttpStatusCode.NotFound, code: "unknown-order");
        await (await stranger.GetAsync($"/api/v1/payments/{order.GetProperty("paymentId").GetString()}")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-payment");
        Assert.Empty((await (await stranger.GetAsync("/api/v1/orders")).Read<JsonElement>()).GetProperty("orders").EnumerateArray());
        Assert.Equal("Confirmed", (await (await owner.GetAsync($"/api/v1/orders/{orderId}")).Read<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Anonymous().GetAsync($"/api/v1/orders/{orderId}")).StatusCode);
    }

    [Fact]
    public async Task Operators_move_orders_along_customers_cancel_and_return_and_illegal_moves_are_409()
    {
        var sku = await Store.Sku(60m, stock: 5);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var orderId = (await (await Storefront.PlaceOrder(customer, Guid.NewGuid().ToString())).Read<JsonElement>(HttpStatusCode.Created)).GetProperty("orderId").GetString();
        using var operators = await server.Operator();
        async Task<HttpResponseMessage> Move(string action) => await operators.PostAsJsonAsync($"/api/v1/orders/{orderId}/transitions", new { action });

        await (await customer.PostAsJsonAsync($"/api/v1/orders/{orderId}/transitions", new { action = "Ship" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await Move("Deliver")).AssertProblem(HttpStatusCode.Conflict, code: "illegal-transition");
        Assert.Equal("Processing", (await (await Move("StartProcessing")).Read<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal("Shipped", (await (await Move("Ship")).Read<JsonElement>()).GetProperty("status").GetString());
        await (await customer.PostAsync($"/api/v1/orders/{orderId}/cancel", null)).AssertProblem(HttpStatusCode.Conflict, code: "illegal-transition");
        Assert.Equal("Delivered", (await (await Move("Deliver")).Read<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal("ReturnRequested", (await (await customer.PostAsJsonAsync($"/api/v1/orders/{orderId}/return", new { note = "wrong size" })).Read<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal("ReturnApproved", (await (await Move("ApproveReturn")).Read<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(4, await Store.Available(sku));
        Assert.Equal("Refunded", (await (await Move("RefundReturn")).Read<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(5, await Store.Available(sku));

        var listed = await (await operators.GetAsync("/api/v1/orders?status=Refunded&limit=100")).Read<JsonElement>();
        Assert.Contains(listed.GetProperty("orders").EnumerateArray(), o => o.GetProperty("orderId").GetString() == orderId);
    }

    [Fact]
    public async Task A_customer_cancels_before_shipping_and_gets_the_money_and_the_stock_back()
    {
        var sku = await Store.Sku(45m, stock: 3);
        var (customer, _) = await Store.CustomerWith(sku, 3);
        var order = await (await Storefront.PlaceOrder(customer, Guid.NewGuid().ToString())).Read<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(0, await Store.Available(sku));

        const string note = "changed my mind, call me at 555-0100";
        var cancelled = await (await customer.PostAsJsonAsync($"/api/v1/orders/{order.GetProperty("orderId").GetString()}/cancel", new { note })).Read<JsonElement>();

        Assert.Equal("Cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(3, await Store.Available(sku));
        var payment = await (await customer.GetAsync($"/api/v1/payments/{order.GetProperty("paymentId").GetString()}")).Read<JsonElement>();
        Assert.Equal("Refunded", payment.GetProperty("status").GetString());
        // The customer's words stay with the order; the payment records the project's own reason
        // (searched by the words, not the digits: a random order id may well hold "555").
        Assert.DoesNotContain(payment.GetProperty("history").EnumerateArray(), e => e.GetProperty("reference").GetString()?.Contains("call me", StringComparison.Ordinal) == true);
        // History holds real transitions only: Pending, Confirmed, Cancelled (by the customer, with the note).
        var history = cancelled.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["Pending", "Confirmed", "Cancelled"], history.Select(e => e.GetProperty("status").GetString()));
        Assert.Equal(note, history[^1].GetProperty("note").GetString());
    }

    [Fact]
    public async Task Operators_refund_part_of_a_payment_up_to_what_was_captured()
    {
        var sku = await Store.Sku(100m, stock: 3);
        var (customer, _) = await Store.CustomerWith(sku, 1);
        var paymentId = (await (await Storefront.PlaceOrder(customer, Guid.NewGuid().ToString())).Read<JsonElement>(HttpStatusCode.Created)).GetProperty("paymentId").GetString();
        using var operators = await server.Operator();
        async Task<HttpResponseMessage> Refund(decimal amount, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/payments/{paymentId}/refunds") { Content = JsonContent.Create(new { amount, reason = "damaged box" }) };
            request.Headers.Add("Idempotency-Key", key);
            return await operators.SendAsync(request);
        }

        Assert.Equal("PartiallyRefunded", (await (await Refund(20m, "r1")).Read<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(20m, (await (await Refund(20m, "r1")).Read<JsonElement>()).GetProperty("refunded").GetDecimal());
        await (await Refund(21m, "r1")).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "Idempotency-Key");
        await (await Refund(500m, "r2")).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "amount", code: "amount-too-large");
        await (await customer.PostAsJsonAsync($"/api/v1/payments/{paymentId}/refunds", new { amount = 1m, reason = "me" })).AssertProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Orders_are_listed_newest_first_one_page_at_a_time()
    {
        var sku = await Store.Sku(3m, stock: 10);
        var (customer, customerId) = await Store.CustomerWith(sku, 1);
        var placed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            (await customer.PutAsJsonAsync($"/api/v1/cart/items/{sku}", new { quantity = 1 })).EnsureSuccessStatusCode();
            placed.Add((await (await Storefront.PlaceOrder(customer, Guid.NewGuid().ToString())).Read<JsonElement>(HttpStatusCode.Created)).GetProperty("orderId").GetString()!);
        }

        var first = await (await customer.GetAsync("/api/v1/orders?limit=2")).Read<JsonElement>();
        var second = await (await customer.GetAsync($"/api/v1/orders?limit=2&cursor={Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!)}")).Read<JsonElement>();
        var listed = first.GetProperty("orders").EnumerateArray().Concat(second.GetProperty("orders").EnumerateArray()).ToList();
        Assert.Equal(Enumerable.Reverse(placed), listed.Select(o => o.GetProperty("orderId").GetString()));
        Assert.All(listed, o => Assert.Equal(customerId, o.GetProperty("customerId").GetString()));
        await (await customer.GetAsync("/api/v1/orders?cursor=garbage")).AssertProblem(HttpStatusCode.BadRequest, field: "cursor");
    }

    [Fact]
    public async Task Cart_endpoints_answer_problems_naming_the_field_and_need_a_token()
    {
        var sku = await Store.Sku(8m, stock: 3);
        using var guest = await server.NewCustomer();
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Anonymous().GetAsync("/api/v1/cart")).StatusCode);
        await (await guest.PostAsJsonAsync("/api/v1/cart/items", new { sku = "no-such-sku", quantity = 1 })).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "sku", code: "unknown-sku");
        await (await guest.PostAsJsonAsync("/api/v1/cart/items", new { sku, quantity = 11 })).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "quantity", code: "quantity-out-of-range");
        await (await guest.PostAsJsonAsync("/api/v1/cart/items", new { sku })).AssertProblem(HttpStatusCode.BadRequest, field: "quantity");
        await (await guest.DeleteAsync($"/api/v1/cart/items/{sku}")).AssertProblem(HttpStatusCode.NotFound, code: "cart-line-not-found");
        await (await guest.PutAsJsonAsync("/api/v1/cart/shipping", new { method = "express", region = "ZZ" })).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "region");
        var cart = await (await guest.PutAsJsonAsync($"/api/v1/cart/items/{sku}", new { quantity = 2 })).Read<JsonElement>();
        Assert.Equal(16m, cart.GetProperty("totals").GetProperty("subtotal").GetProperty("amount").GetDecimal());
    }
}
