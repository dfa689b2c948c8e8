using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Gateway.Inventory;
using Commerce.Grains.Inventory;

namespace Commerce.Gateway.Tests;

public sealed class InventoryApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    /// <summary>A SKU in the catalog, with no stock yet.</summary>
    private Task<string> NewSku() => new Storefront(server).CatalogSku();

    /// <summary>A SKU that is in no catalog.</summary>
    private static string GhostSku() => "ghost-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<int> LedgerLength(HttpClient operators, string sku) =>
        (await (await operators.GetAsync($"/api/v1/inventory/{sku}/ledger?limit=500")).Read<LedgerPage>()).Rows.Count;

    [Fact]
    public async Task Operators_receive_adjust_and_configure_stock_and_read_it_back_in_the_ledger()
    {
        using var operators = await server.Operator();
        var sku = await NewSku();
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
        var sku = await NewSku();
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
    public async Task Every_inventory_endpoint_answers_404_for_a_sku_that_is_not_in_the_catalog_and_creates_nothing()
    {
        using var operators = await server.Operator();
        using var shopper = server.Anonymous();
        var ghost = GhostSku();
        foreach (var request in new[]
        {
            operators.PostAsJsonAsync($"/api/v1/inventory/{ghost}/receipts", new { warehouseId = "north", quantity = 5 }),
            operators.PutAsJsonAsync($"/api/v1/inventory/{ghost}/settings", new { lowStockThreshold = 10, backorderAllowed = false }),
            operators.PostAsJsonAsync($"/api/v1/inventory/{ghost}/adjustments", new { warehouseId = "north", delta = 1, reason = "found" }),
            operators.GetAsync($"/api/v1/inventory/{ghost}/stock"),
            operators.GetAsync($"/api/v1/inventory/{ghost}/ledger"),
            shopper.GetAsync($"/api/v1/inventory/{ghost}"),
        })
        {
            await (await request).AssertProblem(HttpStatusCode.NotFound, code: "unknown-sku");
        }
        // A malformed SKU (a space) is refused before anything is looked up.
        await (await operators.PostAsJsonAsync("/api/v1/inventory/bad%20sku/receipts", new { warehouseId = "north", quantity = 5 })).AssertProblem(HttpStatusCode.BadRequest, "sku");
    }

    [Fact]
    public async Task A_warehouse_priority_is_short_without_repeats_and_names_the_skus_warehouses()
    {
        using var operators = await server.Operator();
        var sku = await NewSku();
        await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 5 });
        await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "south", quantity = 5 });
        Task<HttpResponseMessage> Configure(params string[] priority) =>
            operators.PutAsJsonAsync($"/api/v1/inventory/{sku}/settings", new { lowStockThreshold = 9, backorderAllowed = true, warehousePriority = priority });

        await (await Configure([.. Enumerable.Range(0, 10_000).Select(i => $"w{i}")])).AssertProblem(HttpStatusCode.BadRequest, "warehousePriority");
        await (await Configure("south", "south")).AssertProblem(HttpStatusCode.BadRequest, "warehousePriority[1]");
        await (await Configure("north", "no space")).AssertProblem(HttpStatusCode.BadRequest, "warehousePriority[1]");
        await (await Configure("south", "west", "north")).AssertProblem(HttpStatusCode.UnprocessableEntity, "warehousePriority[1]", "unknown-warehouse");

        var unchanged = await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>();
        Assert.Equal(["north", "south"], unchanged.WarehousePriority);
        Assert.Equal((0, false), (unchanged.LowStockThreshold, unchanged.BackorderAllowed));
        Assert.Equal(["south", "north"], (await (await Configure("south", "north")).Read<StockSnapshot>()).WarehousePriority);
    }

    [Fact]
    public async Task A_receipt_retried_with_its_idempotency_key_counts_once()
    {
        using var operators = await server.Operator();
        var sku = await NewSku();
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
        var sku = await NewSku();
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
