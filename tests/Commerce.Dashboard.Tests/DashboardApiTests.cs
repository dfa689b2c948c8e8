using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Gateway.Dashboard;
using Commerce.Grains;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;

namespace Commerce.Dashboard.Tests;

/// <summary>The dashboard's JSON on a real silo: who may read it, and that it shows what the grains do.</summary>
public sealed class DashboardApiTests(DashboardSilo silo) : IClassFixture<DashboardSilo>
{
    [Theory]
    [InlineData("/api/v1/dashboard")]
    [InlineData("/api/v1/dashboard/history")]
    [InlineData("/api/v1/silo/telemetry")]
    public async Task Only_operators_may_read_the_dashboard(string path)
    {
        using var anonymous = silo.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        using var customer = await silo.Customer();
        Assert.Equal(HttpStatusCode.Forbidden, (await customer.GetAsync(path)).StatusCode);
        using var operators = await silo.Operator();
        Assert.Equal(HttpStatusCode.OK, (await operators.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task The_page_and_its_chart_library_are_served_by_the_silo()
    {
        using var anonymous = silo.Anonymous();
        var page = await anonymous.GetAsync("/dashboard");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/dashboard/vendor/uPlot.iife.min.js", await page.Content.ReadAsStringAsync());
        var library = await anonymous.GetAsync("/dashboard/vendor/uPlot.iife.min.js");
        Assert.Equal(HttpStatusCode.OK, library.StatusCode);
        Assert.Contains("uPlot", await library.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/dashboard/no-such-file.js")).StatusCode);
    }

    [Fact]
    public async Task The_view_has_every_section_in_camel_case()
    {
        using var operators = await silo.Operator();
        var json = await operators.GetFromJsonAsync<JsonElement>("/api/v1/dashboard");
        foreach (var section in new[] { "takenAt", "servedBy", "cluster", "grainTypes", "methods", "storage", "reminders", "commerce", "recentErrors", "point" })
        {
            Assert.True(json.TryGetProperty(section, out _), $"The dashboard JSON has no '{section}'.");
        }
        var commerce = json.GetProperty("commerce");
        foreach (var section in new[] { "flashSales", "hotSkus", "lowStock", "orders" })
        {
            Assert.True(commerce.TryGetProperty(section, out _), $"The commerce section has no '{section}'.");
        }
        var silos = json.GetProperty("cluster").GetProperty("silos");
        Assert.Equal(1, silos.GetArrayLength());
        Assert.True(silos[0].GetProperty("reachable").GetBoolean());
    }

    [Fact]
    public async Task Grain_calls_show_as_a_grain_type_with_rates_and_as_chart_points()
    {
        using var operators = await silo.Operator();
        await operators.GetAsync("/api/v1/dashboard");
        var sku = "api-sku-" + Guid.NewGuid().ToString("N")[..8];
        var inventory = silo.Grains.GetGrain<ISkuInventoryGrain>(sku);
        await inventory.Receive(new ReceiveStock("north", 1000, "test"));
        using var calling = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var calls = 0;
        while (!calling.IsCancellationRequested)
        {
            await inventory.GetStock();
            calls++;
        }

        var view = await DashboardSilo.WaitForView(operators,
            v => v.GrainTypes.Any(t => t.GrainType == "SkuInventory" && t.Calls >= calls && t.CallsPerSecond > 0),
            "SkuInventory calls per second");
        var type = view.GrainTypes.Single(t => t.GrainType == "SkuInventory");
        Assert.True(type.Activations >= 1);
        Assert.Equal(view.ServedBy, Assert.Single(type.PerSilo).SiloId);
        // Latencies cover the sample's interval, which had GetStock calls (calls per second > 0).
        Assert.True(type.MeanMs > 0 && type.P99Ms > 0);
        Assert.Contains(view.Methods, m => m.GrainType == "SkuInventory" && m.Method.EndsWith("GetStock", StringComparison.Ordinal) && m.MeanMs > 0 && m.P99Ms > 0);
        Assert.True(view.Storage.WritesPerSecond >= 0 && view.Storage.ReadMeanMs >= 0);

        var history = await operators.GetFromJsonAsync<DashboardHistory>("/api/v1/dashboard/history", DashboardSilo.Json);
        Assert.True(history!.Points.Count >= 2, "A second of sampling leaves chart points.");
        Assert.Contains(history.Points, p => p.CallsPerSecondByGrainType.GetValueOrDefault("SkuInventory") > 0);
        Assert.True(history.Points.Count <= 100);
    }

    [Fact]
    public async Task A_flash_sale_hot_and_low_stock_skus_and_its_reminder_are_listed()
    {
        using var operators = await silo.Operator();
        await operators.GetAsync("/api/v1/dashboard");
        var sku = "sale-sku-" + Guid.NewGuid().ToString("N")[..8];
        var saleId = "sale-" + Guid.NewGuid().ToString("N")[..8];
        var inventory = silo.Grains.GetGrain<ISkuInventoryGrain>(sku);
        await inventory.Receive(new ReceiveStock("north", 60, "test"));
        await inventory.Configure(new ConfigureStock(LowStockThreshold: 50, BackorderAllowed: false, WarehousePriority: null, Actor: "test"));
        var sale = silo.Grains.GetGrain<IFlashSaleGrain>(saleId);
        var created = await sale.Create(new CreateFlashSale(sku, 20, new Money(9.99m, "EUR"), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1),
            PerCustomerLimit: 1, AdmissionRatePerSecond: 100, TokenLifetime: null, WarehouseId: null, Actor: "test"));
        Assert.True(created.Succeeded, created.Message);
        for (var i = 0; i < 5; i++)
        {
            await inventory.Reserve(new ReserveStock($"hold-{i}", 1));
        }
        for (var i = 0; i < 3; i++)
        {
            await sale.Join($"customer-{i}");
        }

        var view = await DashboardSilo.WaitForView(operators,
            v => v.Commerce.FlashSales.Any(s => s.SaleId == saleId && s.Admitted == 3)
                && v.Commerce.LowStock.Any(s => s.Sku == sku && s.Available == 60 - 20 - 5)
                && v.Reminders.Count >= 1,
            "the sale, its admitted customers, the low-stock SKU and the sale's reminder");
        var listed = view.Commerce.FlashSales.Single(s => s.SaleId == saleId);
        Assert.Equal((sku, "Live", 20, 0, 20, 3), (listed.Sku, listed.Phase, listed.Units, listed.UnitsSold, listed.UnitsRemaining, listed.TokensOutstanding));
        var low = view.Commerce.LowStock.Single(s => s.Sku == sku);
        Assert.Equal((60 - 20 - 5, 50, "Low"), (low.Available, low.LowStockThreshold, low.Level));
        Assert.NotNull(view.Reminders.NextDueAt);

        for (var i = 5; i < 25; i++)
        {
            await inventory.Reserve(new ReserveStock($"hold-{i}", 1));
        }
        view = await DashboardSilo.WaitForView(operators, v => v.Commerce.HotSkus.Any(h => h.Sku == sku), "the SKU among the hottest");
        Assert.True(view.Commerce.HotSkus.Single(h => h.Sku == sku).ReservationsPerSecond > 0);
    }

    [Fact]
    public async Task Orders_per_minute_by_status_and_a_declined_payment_are_listed()
    {
        using var operators = await silo.Operator();
        await operators.GetAsync("/api/v1/dashboard");
        var sku = await silo.SkuForSale(stock: 10);
        await silo.PlaceOrder(sku, DashboardSilo.Visa);
        var declinedOrder = await silo.PlaceOrder(sku, DashboardSilo.DeclinedCard);

        var view = await DashboardSilo.WaitForView(operators,
            v => v.Commerce.Orders is { } o && o.OrdersPerMinuteByState.ContainsKey("Confirmed") && o.OrdersPerMinuteByState.ContainsKey("Cancelled")
                && o.RecentFailedPayments.Any(p => p.OrderId == declinedOrder),
            "a confirmed and a cancelled order and the declined payment");
        Assert.True(view.Commerce.Orders!.FailedPaymentsLastHour >= 1);
    }

    [Fact]
    public async Task A_failed_grain_call_is_listed_with_its_grain_method_and_message()
    {
        using var operators = await silo.Operator();
        await operators.GetAsync("/api/v1/dashboard");
        var saleId = "broken-" + Guid.NewGuid().ToString("N")[..8];
        await Assert.ThrowsAnyAsync<ArgumentException>(() => silo.Grains.GetGrain<IFlashSaleGrain>(saleId).Create(
            new CreateFlashSale("any", 0, new Money(1m, "EUR"), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), 1, 1, null, null, "test")));

        var view = await DashboardSilo.WaitForView(operators,
            v => v.RecentErrors.Any(e => e.GrainType == "FlashSale" && e.Method == "Create"), "the failed Create call");
        var error = view.RecentErrors.First(e => e.GrainType == "FlashSale" && e.Method == "Create");
        Assert.Equal("ArgumentOutOfRangeException", error.ExceptionType);
        Assert.Contains("Units", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(view.Methods, m => m.GrainType == "FlashSale" && m.Failures >= 1);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_dashboard_endpoints()
    {
        using var anonymous = silo.Anonymous();
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/dashboard", out var view));
        Assert.Equal("GetDashboard", view.GetProperty("get").GetProperty("operationId").GetString());
        Assert.True(paths.TryGetProperty("/api/v1/dashboard/history", out _));
        Assert.False(paths.TryGetProperty("/dashboard", out _), "The page itself is not part of the API.");
    }
}
