using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Gateway.Dashboard;
using Commerce.Grains;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Hosting.SiloTelemetry;
using Commerce.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Dashboard.Tests;

/// <summary>The dashboard's JSON on a real silo: who may read it, and that it shows what the Orleans cluster does.</summary>
public sealed class DashboardApiTests(DashboardSilo silo) : IClassFixture<DashboardSilo>
{
    [Theory]
    [InlineData("/api/v1/dashboard")]
    [InlineData("/api/v1/dashboard/history")]
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
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("/dashboard/vendor/uPlot.iife.min.js", html);
        Assert.Contains("href=\"/orleans-dashboard/\"", html);
        var library = await anonymous.GetAsync("/dashboard/vendor/uPlot.iife.min.js");
        Assert.Equal(HttpStatusCode.OK, library.StatusCode);
        Assert.Contains("uPlot", await library.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/dashboard/no-such-file.js")).StatusCode);
    }

    [Fact]
    public async Task The_view_has_every_section_in_camel_case_and_the_silo_with_orleans_figures()
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

        var view = await DashboardSilo.WaitForView(operators, v => v.Cluster.Silos is [{ Reachable: true, Activations: > 0 }], "the silo with its activations");
        var only = Assert.Single(view.Cluster.Silos);
        Assert.Equal(view.ServedBy, only.SiloId);
        Assert.Equal("Active", only.Status);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", only.Address);
        Assert.True(only.UptimeSeconds > 0 && only.MemoryBytes > 0 && only.CpuPercent is >= 0 and <= 100, $"uptime, memory and CPU of {only}");
        Assert.True(only.Generation <= view.TakenAt);
    }

    [Fact]
    public async Task Grain_calls_show_as_a_grain_type_with_rates_latency_and_activations_and_as_chart_points()
    {
        using var operators = await silo.Operator();
        await operators.GetAsync("/api/v1/dashboard");
        var sku = await silo.CatalogSku("api-sku");
        var inventory = silo.Grains.GetGrain<ISkuInventoryGrain>(sku);
        await inventory.Receive(new ReceiveStock("north", 1000, "test"));
        var calls = 0;
        // Calls go on until the dashboard has seen some: a sample interval that had calls is then the latest.
        var view = await DashboardSilo.WaitForView(operators,
            v => v.GrainTypes.Any(t => t.GrainType == "SkuInventory" && t.CallsPerSecond > 0) && v.Methods.Any(m => m.Method == "GetStock" && m.CallsPerSecond > 0),
            "SkuInventory.GetStock calls per second", whileWaiting: async () =>
            {
                for (var i = 0; i < 200; i++)
                {
                    await inventory.GetStock();
                    calls++;
                }
            });
        var type = view.GrainTypes.Single(t => t.GrainType == "SkuInventory");
        Assert.True(type.Activations >= 1, "Orleans' management grain counts the SKU grain's activation.");
        var share = Assert.Single(type.PerSilo);
        Assert.Equal(view.ServedBy, share.SiloId);
        Assert.True(share.Activations >= 1 && share.CallsPerSecond > 0);
        // Latencies cover the sample's interval, which had GetStock calls (calls per second > 0).
        Assert.True(type.MeanMs > 0 && type.P99Ms > 0, $"mean {type.MeanMs} ms, p99 {type.P99Ms} ms");
        var getStock = Assert.Single(view.Methods, m => m.GrainType == "SkuInventory" && m.Method == "GetStock");
        Assert.True(getStock.MeanMs > 0 && getStock.P99Ms > 0, getStock.ToString());
        Assert.DoesNotContain(view.GrainTypes, t => t.GrainType.StartsWith("Orleans", StringComparison.Ordinal) || t.GrainType.StartsWith("sys.", StringComparison.Ordinal));
        Assert.True(view.Cluster.Silos.Single().CallsPerSecond > 0);
        // Once the calls stop, the next samples count every one of them.
        await DashboardSilo.WaitForView(operators, v => v.Methods.Any(m => m.GrainType == "SkuInventory" && m.Method == "GetStock" && m.Calls >= calls),
            $"all {calls} GetStock calls counted");

        var history = await operators.GetFromJsonAsync<DashboardHistory>("/api/v1/dashboard/history", DashboardSilo.Json);
        Assert.True(history!.Points.Count >= 2, "A second of sampling leaves chart points.");
        Assert.Contains(history.Points, p => p.CallsPerSecondByGrainType.GetValueOrDefault("SkuInventory") > 0);
        Assert.Contains(history.Points, p => p.Activations > 0);
        Assert.True(history.Points.Count <= 100);
    }

    [Fact]
    public async Task Storage_reads_and_commits_show_with_their_latency_and_callers_per_commit()
    {
        using var operators = await silo.Operator();
        await operators.GetAsync("/api/v1/dashboard");
        var round = 0;
        // Every round activates a new SKU (a state read) and reserves on it concurrently (commits that group callers).
        var view = await DashboardSilo.WaitForView(operators,
            v => v.Storage is { ReadsPerSecond: > 0, WritesPerSecond: > 0, ReadMeanMs: > 0, WriteMeanMs: > 0, WriteP99Ms: > 0, CallersPerCommit: >= 1 },
            "storage reads and commits in one interval", whileWaiting: async () =>
            {
                var inventory = silo.Grains.GetGrain<ISkuInventoryGrain>(await silo.CatalogSku("storage-sku"));
                await inventory.Receive(new ReceiveStock("north", 100, "test"));
                await Task.WhenAll(Enumerable.Range(0, 20).Select(i => inventory.Reserve(new ReserveStock($"hold-{round}-{i}", 1))));
                round++;
            });
        Assert.True(view.Storage.WriteP99Ms >= view.Storage.WriteMeanMs / 2, view.Storage.ToString());
        Assert.Equal(0, view.Storage.Conflicts);
    }

    [Fact]
    public async Task A_flash_sale_hot_and_low_stock_skus_and_its_reminder_are_listed()
    {
        using var operators = await silo.Operator();
        await operators.GetAsync("/api/v1/dashboard");
        var sku = await silo.CatalogSku("sale-sku");
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
        Assert.True(view.Reminders.NextDueAt > view.TakenAt.AddSeconds(-5), $"next reminder due {view.Reminders.NextDueAt}, sampled {view.TakenAt}");
        Assert.Contains(view.GrainTypes, t => t.GrainType == "FlashSale" && t.Activations >= 1);
        // The sale's admission timer ticks (every 50 ms here) are the grain's turns too, named as such.
        Assert.Contains(view.Methods, m => m.GrainType == "FlashSale" && m.Method == GrainCallStatistics.TimerTick && m.Calls > 0);

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
    public async Task The_payment_providers_declines_and_errors_seen_by_this_process_are_shown()
    {
        using var operators = await silo.Operator();
        await operators.GetAsync("/api/v1/dashboard");
        var health = silo.Services.GetRequiredService<PaymentProviderHealth>();
        var before = health.Figures("test");
        var sku = await silo.SkuForSale(stock: 5);
        await silo.PlaceOrder(sku, DashboardSilo.DeclinedCard);
        // Provider errors are counted where a provider call fails (Stripe's provider: tested with the stand-in); here they are reported to the same counter.
        health.Unavailable();
        health.AuthenticationFailed();

        var view = await DashboardSilo.WaitForView(operators,
            v => v.Commerce.PaymentProvider is { } p && p.Declines.GetValueOrDefault("card_declined") > before.Declines.GetValueOrDefault("card_declined")
                && p.Unavailable > before.Unavailable && p.AuthenticationFailures > before.AuthenticationFailures,
            "the decline, the unavailable provider and the refused credentials");
        var provider = view.Commerce.PaymentProvider!;
        Assert.Equal("test", provider.Provider);
        Assert.NotNull(provider.LastAuthenticationFailure);
    }

    [Fact]
    public async Task A_failed_grain_call_is_listed_with_its_silo_grain_method_and_message()
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
        Assert.Equal(view.ServedBy, error.SiloId);
        Assert.Contains(view.Methods, m => m.GrainType == "FlashSale" && m.Method == "Create" && m.Failures >= 1);
        Assert.Contains(view.GrainTypes, t => t.GrainType == "FlashSale" && t.Failures >= 1);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_dashboard_endpoints_and_not_orleans_dashboard()
    {
        using var anonymous = silo.Anonymous();
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/dashboard", out var view));
        Assert.Equal("GetDashboard", view.GetProperty("get").GetProperty("operationId").GetString());
        Assert.True(paths.TryGetProperty("/api/v1/dashboard/history", out _));
        Assert.True(paths.TryGetProperty("/api/v1/dashboard/orleans-session", out var session));
        Assert.True(session.TryGetProperty("post", out _) && session.TryGetProperty("delete", out _));
        Assert.False(paths.TryGetProperty("/dashboard", out _), "The page itself is not part of the API.");
        Assert.DoesNotContain(paths.EnumerateObject(), p => p.Name.StartsWith(OrleansDashboardAccess.Path, StringComparison.Ordinal));
    }
}
