using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;

namespace Commerce.Gateway.Tests;

/// <summary>
/// The flash-sale hub end to end with the real <c>@microsoft/signalr</c> client under node: several
/// hundred connections join one sale, all get positions, the admitted buy, the rest hear sold out,
/// and the totals match the pool exactly.
/// </summary>
public sealed class FlashSaleHubEndToEndTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private const int Customers = 300;
    private const int Units = 100;

    private sealed record CrowdSummary(int Customers, int WithPosition, int WithPushedPosition, int PlaceWentUp, int Admitted, int Buyers, int UnitsPurchased, int SoldOut, string[] Errors);

    [Fact]
    public async Task Several_hundred_signalr_clients_queue_the_admitted_buy_and_the_rest_hear_sold_out()
    {
        var project = await NodeClients.Installed();
        using var operators = await server.Operator();
        var sku = "hub-sku-" + Guid.NewGuid().ToString("N")[..8];
        var saleId = "hub-sale-" + Guid.NewGuid().ToString("N")[..8];
        (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 500 })).EnsureSuccessStatusCode();
        var created = await operators.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            id = saleId,
            sku,
            units = Units,
            price = new { amount = 1.00m, currency = "EUR" },
            startsAt = DateTimeOffset.UtcNow.AddHours(1),
            endsAt = DateTimeOffset.UtcNow.AddHours(2),
            perCustomerLimit = 1,
            admissionRatePerSecond = 50,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var output = await NodeClients.Run("node", ["crowd.mjs", server.BaseAddress.ToString().TrimEnd('/'), saleId, Customers.ToString(System.Globalization.CultureInfo.InvariantCulture)], project,
            ("COMMERCE_OPERATOR_KEY", GatewayServer.OperatorKey));
        var summary = JsonSerializer.Deserialize<CrowdSummary>(output.Trim().Split('\n')[^1], ApiAssertions.Json)!;

        Assert.Empty(summary.Errors);
        Assert.Equal(Customers, summary.Customers);
        Assert.Equal(Customers, summary.WithPosition);
        Assert.True(summary.WithPushedPosition > 0, "No position was ever pushed as the queue moved.");
        Assert.Equal(0, summary.PlaceWentUp);
        Assert.Equal((Units, Units, Units), (summary.Admitted, summary.Buyers, summary.UnitsPurchased));
        Assert.Equal(Customers - Units, summary.SoldOut);

        var sale = (await server.Grains.GetGrain<IFlashSaleGrain>(saleId).GetStatus())!;
        Assert.Equal((SalePhase.SoldOut, Units, (long)Customers), (sale.Phase, sale.UnitsSold, sale.CustomersQueued));
        var stock = (await server.Grains.GetGrain<ISkuInventoryGrain>(sku).GetStock())!;
        Assert.Equal((500, Units, 400), (stock.OnHand, stock.Reserved, stock.Available));
    }
}
