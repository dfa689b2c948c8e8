using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Gateway.Inventory;
using Commerce.Grains.Inventory;

namespace Commerce.Gateway.Tests;

public sealed class InventoryApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private static string NewSku() => "sku-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<int> LedgerLength(HttpClient operators, string sku) =>
        (await (await operators.GetAsync($"/api/v1/inventory/{sku}/ledger?limit=500")).Read<LedgerPage>()).Rows.Count;

    [Fact]
    public async Task Operators_receive_adjust_and_configure_stock_and_read_it_back_in_the_ledger()
    {
        using var operators = await server.Operator();
        var sku = NewSku();
        var received = await (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 10, note = "PO-7" })).Read<StockSnapshot>();
        Assert.Equal(10, received.Available);
        await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/adjustments", new { warehouseId = "north", delta = -2, reason = "damaged" });
        var configured = await (await operators.PutAsJsonAsync($"/api/v1/inventory/{sku}/settings", new { lowStockThreshold = 8, backorderAllowed = false })).Read<StockSnapshot>();
        Assert.Equal((8, 8), (configured.Available, configured.LowStockThreshold));

        var firstPage = await (await operators.GetAsync($"/api/v1/inventory/{sku}/ledger?limit=2")).Read<LedgerPage>();
        Assert.Equal([StockChangeKind.Received, StockChangeKind.Adjusted], firstPage.Rows.Select(r => r.Entry.Kind));
        Assert.Equal("operator:bootstrap", firstPage.Rows[0].Entry.Actor);
        var secondPage = await (await operators.GetAsync($"/api/v1/inventory/{sku}/ledger?after={firstPage.NextAfter}&limit=2")).Read<LedgerPage>();
        Assert.Equal(StockChangeKind.Configured, Assert.Single(secondPage.Rows).Entry.Kind);

        using var shopper = server.Anonymous();
        var publicView = await (await shopper.GetAsync($"/api/v1/inventory/{sku}")).Read<JsonElement>();
        Assert.Equal("Low", publicView.GetProperty("level").GetString());
        Assert.False(publicView.TryGetProperty("available", out _));
    }

    [Fact]
    public async Task Bad_input_gets_a_problem_naming_the_field_and_changes_nothing()
    {
        using var operators = await server.Operator();
        var sku = NewSku();
        await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 5 });

        await (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 0 })).AssertProblem(HttpStatusCode.BadRequest, "quantity");
        await (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { quantity = 3 })).AssertProblem(HttpStatusCode.BadRequest, "warehouseId");
        await (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/adjustments", new { warehouseId = "north", delta = -1 })).AssertProblem(HttpStatusCode.BadRequest, "reason");
        await (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/adjustments", new { warehouseId = "west", delta = 1, reason = "found" }))
            .AssertProblem(HttpStatusCode.UnprocessableEntity, "warehouseId", "unknown-warehouse");
        await (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/adjustments", new { warehouseId = "north", delta = -6, reason = "count" }))
            .AssertProblem(HttpStatusCode.Conflict, code: "insufficient-stock");
        await (await operators.PutAsJsonAsync($"/api/v1/inventory/{sku}/settings", new { lowStockThreshold = -1 })).AssertProblem(HttpStatusCode.BadRequest, "lowStockThreshold");
        await (await operators.GetAsync($"/api/v1/inventory/{sku}/ledger?limit=0")).AssertProblem(HttpStatusCode.BadRequest, "limit");

        Assert.Equal(1, await LedgerLength(operators, sku));
        var stock = await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>();
        Assert.Equal((5, 0), (stock.OnHand, stock.LowStockThreshold));
    }

    [Fact]
    public async Task Unknown_skus_are_404_for_everyone()
    {
        using var operators = await server.Operator();
        using var shopper = server.Anonymous();
        await (await shopper.GetAsync($"/api/v1/inventory/{NewSku()}")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-sku");
        await (await operators.GetAsync($"/api/v1/inventory/{NewSku()}/ledger")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-sku");
        await (await operators.PostAsJsonAsync($"/api/v1/inventory/{NewSku()}/adjustments", new { warehouseId = "north", delta = 1, reason = "found" }))
            .AssertProblem(HttpStatusCode.NotFound, code: "unknown-sku");
    }

    [Fact]
    public async Task A_receipt_retried_with_its_idempotency_key_counts_once()
    {
        using var operators = await server.Operator();
        var sku = NewSku();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/inventory/{sku}/receipts") { Content = JsonContent.Create(new { warehouseId = "north", quantity = 4 }) };
            request.Headers.Add("Idempotency-Key", "delivery-42");
            Assert.Equal(4, (await (await operators.SendAsync(request)).Read<StockSnapshot>()).OnHand);
        }
        using var different = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/inventory/{sku}/receipts") { Content = JsonContent.Create(new { warehouseId = "north", quantity = 5 }) };
        different.Headers.Add("Idempotency-Key", "delivery-42");
        await (await operators.SendAsync(different)).AssertProblem(HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(1, await LedgerLength(operators, sku));
    }

    [Fact]
    public async Task Shoppers_cannot_change_stock()
    {
        using var customer = await server.NewCustomer();
        using var anonymous = server.Anonymous();
        var sku = NewSku();
        await (await customer.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 4 })).AssertProblem(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 4 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/v1/inventory/{sku}")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_inventory_and_flash_sale_routes()
    {
        using var anonymous = server.Anonymous();
        var document = await (await anonymous.GetAsync("/openapi/v1.json")).Read<JsonElement>();
        var paths = document.GetProperty("paths");
        foreach (var path in new[]
        {
            "/api/v1/inventory/{sku}", "/api/v1/inventory/{sku}/receipts", "/api/v1/inventory/{sku}/adjustments", "/api/v1/inventory/{sku}/settings",
            "/api/v1/inventory/{sku}/ledger", "/api/v1/flash-sales", "/api/v1/flash-sales/{saleId}", "/api/v1/flash-sales/{saleId}/queue",
            "/api/v1/flash-sales/{saleId}/queue/me", "/api/v1/flash-sales/{saleId}/purchases", "/api/v1/flash-sales/{saleId}/cancel",
            "/api/v1/customers/anonymous", "/api/v1/operators/token",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        }
    }
}
