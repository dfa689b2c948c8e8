using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Gateway.FlashSales;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;

namespace Commerce.Gateway.Tests;

public sealed class FlashSalesApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private static object SaleBody(string id, string sku, int units, int limit = 1, DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null) => new
    {
        id,
        sku,
        units,
        price = new { amount = 9.50m, currency = "EUR" },
        startsAt = startsAt ?? DateTimeOffset.UtcNow.AddHours(1),
        endsAt = endsAt ?? DateTimeOffset.UtcNow.AddHours(2),
        perCustomerLimit = limit,
        admissionRatePerSecond = 1000,
    };

    /// <summary>A SKU with <paramref name="stock"/> units and a scheduled sale of <paramref name="units"/>, observed by the returned probe.</summary>
    private async Task<(string SaleId, string Sku, Admissions Admissions)> ScheduledSale(HttpClient operators, int stock, int units, int limit = 1)
    {
        var sku = await new Storefront(server).CatalogSku();
        (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = stock })).EnsureSuccessStatusCode();
        var saleId = NewId("sale");
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", SaleBody(saleId, sku, units, limit))).Read<FlashSaleStatus>(HttpStatusCode.Created);
        var admissions = new Admissions();
        await server.Grains.GetGrain<IFlashSaleGrain>(saleId).Subscribe(server.Grains.CreateObjectReference<IFlashSaleObserver>(admissions));
        return (saleId, sku, admissions);
    }

    private static async Task<string> CustomerId(HttpClient customer, string saleId) =>
        (await (await customer.GetAsync($"/api/v1/flash-sales/{saleId}/queue/me")).Read<QueueStatus>()).CustomerId;

    private static Task<HttpResponseMessage> Purchase(HttpClient customer, string saleId, string? token, int quantity, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/flash-sales/{saleId}/purchases") { Content = JsonContent.Create(new { token, quantity }) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return customer.SendAsync(request);
    }

    [Fact]
    public async Task Creating_a_sale_validates_every_field_and_takes_its_units_from_inventory_once()
    {
        using var operators = await server.Operator();
        var sku = await new Storefront(server).CatalogSku();
        await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 10 });
        var now = DateTimeOffset.UtcNow;

        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", SaleBody("Bad Id", sku, 5))).AssertProblem(HttpStatusCode.BadRequest, "id");
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", SaleBody(NewId("sale"), sku, 0))).AssertProblem(HttpStatusCode.BadRequest, "units");
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", SaleBody(NewId("sale"), sku, 5, startsAt: now.AddHours(2), endsAt: now.AddHours(1))))
            .AssertProblem(HttpStatusCode.BadRequest, "endsAt");
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", SaleBody(NewId("sale"), sku, 11))).AssertProblem(HttpStatusCode.UnprocessableEntity, "units", "insufficient-stock");
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", SaleBody(NewId("sale"), NewId("ghost"), 1))).AssertProblem(HttpStatusCode.UnprocessableEntity, "sku", "unknown-sku");
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", new { id = NewId("sale"), sku, units = 1, price = new { amount = 9.50m, currency = "EUR" }, startsAt = now.AddHours(1),
            endsAt = now.AddHours(2), perCustomerLimit = 1, admissionRatePerSecond = 1000, warehouseId = "nowhere" })).AssertProblem(HttpStatusCode.UnprocessableEntity, "warehouseId", "unknown-warehouse");
        Assert.Equal(10, (await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>()).Available);

        var saleId = NewId("sale");
        var body = SaleBody(saleId, sku, 6);
        var created = await operators.PostAsJsonAsync("/api/v1/flash-sales", body);
        Assert.Equal($"/api/v1/flash-sales/{saleId}", created.Headers.Location?.OriginalString);
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", body)).Read<FlashSaleStatus>(HttpStatusCode.Created);
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", SaleBody(saleId, sku, 3))).AssertProblem(HttpStatusCode.Conflict, code: "flash-sale-exists");
        Assert.Equal(4, (await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>()).Available);

        using var shopper = server.Anonymous();
        var status = await (await shopper.GetAsync($"/api/v1/flash-sales/{saleId}")).Read<FlashSaleStatus>();
        Assert.Equal((SalePhase.Scheduled, 6, 9.50m), (status.Phase, status.UnitsRemaining, status.Price.Amount));
        Assert.Contains(await (await operators.GetAsync("/api/v1/flash-sales")).Read<FlashSaleStatus[]>(), s => s.SaleId == saleId);
        await (await shopper.GetAsync($"/api/v1/flash-sales/{NewId("nothing")}")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-flash-sale");
    }

    [Fact]
    public async Task A_customer_joins_once_is_admitted_and_buys_exactly_once_per_idempotency_key()
    {
        using var operators = await server.Operator();
        var (saleId, sku, admissions) = await ScheduledSale(operators, stock: 10, units: 3, limit: 2);
        using var customer = await server.NewCustomer();
        var place = await (await customer.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).Read<QueueStatus>();
        Assert.Equal((QueueEntryState.Waiting, 1L, 1L), (place.State, place.Ticket, place.Position));
        Assert.Equal(place.Ticket, (await (await customer.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).Read<QueueStatus>()).Ticket);

        (await operators.PostAsync($"/api/v1/flash-sales/{saleId}/start", null)).EnsureSuccessStatusCode();
        var token = await admissions.Of(place.CustomerId);
        Assert.Equal(token, (await (await customer.GetAsync($"/api/v1/flash-sales/{saleId}/queue/me")).Read<QueueStatus>()).Token);

        await (await Purchase(customer, saleId, token.Value, 1, idempotencyKey: null)).AssertProblem(HttpStatusCode.BadRequest, "Idempotency-Key");
        await (await Purchase(customer, saleId, "forged", 1, "k1")).AssertProblem(HttpStatusCode.UnprocessableEntity, "token", "token-invalid");
        await (await Purchase(customer, saleId, token.Value, 3, "k1")).AssertProblem(HttpStatusCode.UnprocessableEntity, "quantity", "quantity-exceeds-allowance");

        var first = await Purchase(customer, saleId, token.Value, 2, "k1");
        var bought = await first.Read<FlashSalePurchase>(HttpStatusCode.Created);
        var again = await Purchase(customer, saleId, token.Value, 2, "k1");
        Assert.Equal(bought, await again.Read<FlashSalePurchase>(HttpStatusCode.Created));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        await (await Purchase(customer, saleId, token.Value, 1, "k1")).AssertProblem(HttpStatusCode.UnprocessableEntity, "Idempotency-Key", "idempotency-key-reused");

        Assert.Equal((19.00m, "EUR"), (bought.Total.Amount, bought.Total.Currency));
        var stock = await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>();
        Assert.Equal((3, 7), (stock.Reserved, stock.Available));
        var status = await (await customer.GetAsync($"/api/v1/flash-sales/{saleId}")).Read<FlashSaleStatus>();
        Assert.Equal((2, 1), (status.UnitsSold, status.UnitsRemaining));
    }

    [Fact]
    public async Task Once_sold_out_joins_and_purchases_get_409_sold_out()
    {
        using var operators = await server.Operator();
        var (saleId, _, admissions) = await ScheduledSale(operators, stock: 1, units: 1);
        using var buyer = await server.NewCustomer();
        using var late = await server.NewCustomer();
        var buyerId = (await (await buyer.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).Read<QueueStatus>()).CustomerId;
        await operators.PostAsync($"/api/v1/flash-sales/{saleId}/start", null);
        (await Purchase(buyer, saleId, (await admissions.Of(buyerId)).Value, 1, "k")).EnsureSuccessStatusCode();

        await (await late.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).AssertProblem(HttpStatusCode.Conflict, code: "sold-out");
        await (await Purchase(late, saleId, "any", 1, "k")).AssertProblem(HttpStatusCode.Conflict, code: "sold-out");
    }

    [Fact]
    public async Task Anyone_lists_the_sales_not_over_with_product_and_price_but_no_queue_figures()
    {
        using var operators = await server.Operator();
        var (scheduled, scheduledSku, _) = await ScheduledSale(operators, stock: 10, units: 4);
        var (live, _, _) = await ScheduledSale(operators, stock: 10, units: 3);
        (await operators.PostAsync($"/api/v1/flash-sales/{live}/start", null)).EnsureSuccessStatusCode();
        var (cancelled, _, _) = await ScheduledSale(operators, stock: 10, units: 2);
        (await operators.PostAsync($"/api/v1/flash-sales/{cancelled}/cancel", null)).EnsureSuccessStatusCode();
        var (hidden, hiddenSku, _) = await ScheduledSale(operators, stock: 10, units: 2);
        (await operators.PostAsync($"/api/v1/catalog/products/p-{hiddenSku}/archive", null)).EnsureSuccessStatusCode();

        using var shopper = server.Anonymous();
        var json = await (await shopper.GetAsync("/api/v1/flash-sales/current")).Read<JsonElement>();
        var sales = json.Deserialize<CurrentFlashSale[]>(ApiAssertions.Json)!;
        var ids = sales.Select(s => s.SaleId).ToList();
        Assert.Contains(scheduled, ids);
        Assert.Contains(live, ids);
        Assert.DoesNotContain(cancelled, ids);
        Assert.DoesNotContain(hidden, ids);
        Assert.Equal(sales.OrderBy(s => s.StartsAt).Select(s => s.SaleId), ids);
        var sale = sales.Single(s => s.SaleId == scheduled);
        Assert.Equal((scheduledSku, "p-" + scheduledSku, "Desk lamp, black", 9.50m, 10m, SalePhase.Scheduled, 4, 1000),
            (sale.Sku, sale.ProductId, sale.Title, sale.Price.Amount, sale.RegularPrice.Amount, sale.Phase, sale.UnitsLeft, sale.AdmissionRatePerSecond));
        Assert.Equal(SalePhase.Live, sales.Single(s => s.SaleId == live).Phase);
        var first = json.EnumerateArray().First();
        Assert.False(first.TryGetProperty("customersQueued", out _) || first.TryGetProperty("tokensOutstanding", out _) || first.TryGetProperty("unitsAwaitingPayment", out _));

        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", SaleBody("current", scheduledSku, 1))).AssertProblem(HttpStatusCode.BadRequest, "id");
    }

    [Fact]
    public async Task Cancelling_returns_the_units_and_later_joins_get_409()
    {
        using var operators = await server.Operator();
        var (saleId, sku, _) = await ScheduledSale(operators, stock: 10, units: 4);
        var cancelled = await (await operators.PostAsync($"/api/v1/flash-sales/{saleId}/cancel", null)).Read<FlashSaleStatus>();
        Assert.Equal((SalePhase.Cancelled, 4), (cancelled.Phase, cancelled.UnitsReturnedToInventory));
        Assert.Equal(10, (await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>()).Available);
        using var customer = await server.NewCustomer();
        await (await customer.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).AssertProblem(HttpStatusCode.Conflict, code: "sale-over");
        await (await operators.PostAsync($"/api/v1/flash-sales/{saleId}/start", null)).AssertProblem(HttpStatusCode.Conflict, code: "sale-over");
    }

    [Fact]
    public async Task Too_many_joins_from_one_customer_get_429_with_retry_after()
    {
        using var operators = await server.Operator();
        var (saleId, _, _) = await ScheduledSale(operators, stock: 5, units: 5);
        using var customer = await server.NewCustomer();
        // The test server allows three joins per customer per ten minutes.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await customer.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).StatusCode);
        }
        var refused = await customer.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null);
        var problem = await refused.AssertProblem(HttpStatusCode.TooManyRequests, code: "rate-limited");
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 600);
        Assert.Equal(retryAfter, problem.GetProperty("retryAfterSeconds").GetInt32());

        // The limit is the customer's: another customer from the same address still gets in.
        using var other = await server.NewCustomer();
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).StatusCode);
    }
}
