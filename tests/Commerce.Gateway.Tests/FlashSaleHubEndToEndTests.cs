using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Testing;

namespace Commerce.Gateway.Tests;

/// <summary>
/// The flash-sale hub end to end with the real <c>@microsoft/signalr</c> client under node: crowds join
/// one sale, all get positions, the admitted buy, the rest hear sold out, and the totals match the
/// pool exactly; a place pushed is always the customer's place.
/// </summary>
public sealed class FlashSaleHubEndToEndTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    [Fact]
    public async Task Several_hundred_signalr_clients_queue_the_admitted_buy_and_the_rest_hear_sold_out()
    {
        const int customers = 300, units = 100;
        var crowd = new FlashSaleCrowd(server);
        var (saleId, sku) = await crowd.CreateSale(units, admissionRatePerSecond: 50);

        var summary = await crowd.Run(saleId, customers, openFirst: false);

        Assert.Empty(summary.Errors);
        Assert.Equal(customers, summary.Customers);
        Assert.Equal(customers, summary.WithPosition);
        Assert.True(summary.WithPushedPosition > 0, "No position was ever pushed as the queue moved.");
        Assert.Equal(0, summary.PlaceWentUp);
        Assert.Equal((units, units, units), (summary.Admitted, summary.Buyers, summary.UnitsPurchased));
        Assert.Equal((customers - units, 0), (summary.SoldOut, summary.Undecided));

        var sale = (await server.Grains.GetGrain<IFlashSaleGrain>(saleId).GetStatus())!;
        Assert.Equal((SalePhase.SoldOut, units, (long)customers), (sale.Phase, sale.UnitsSold, sale.CustomersQueued));
        var stock = (await server.Grains.GetGrain<ISkuInventoryGrain>(sku).GetStock())!;
        Assert.Equal((FlashSaleCrowd.Stock, units, FlashSaleCrowd.Stock - units), (stock.OnHand, stock.Reserved, stock.Available));
    }

    /// <summary>
    /// Issue 12, defect 6 (join answered place 3, the hub pushed 4, then 2): the place pushed after a
    /// join was the ticket minus the admission mark this node knew, and a node that had not heard of
    /// the sale's admissions yet pushed the ticket number itself. Here two customers were admitted
    /// before this node followed the sale; then two more follow it, join, and are told their places.
    /// </summary>
    [Fact]
    public async Task A_customer_who_follows_a_sale_before_joining_is_pushed_their_place_never_their_ticket()
    {
        var crowd = new FlashSaleCrowd(server);
        var (saleId, _) = await crowd.CreateSale(units: 2, admissionRatePerSecond: 50);
        var sale = server.Grains.GetGrain<IFlashSaleGrain>(saleId);
        for (var i = 0; i < 2; i++)
        {
            using var early = await server.NewCustomer();
            (await early.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).EnsureSuccessStatusCode();
        }
        using (var operators = await server.Operator())
        {
            (await operators.PostAsync($"/api/v1/flash-sales/{saleId}/start", null)).EnsureSuccessStatusCode();
        }
        // Both admitted, holding the two units for five minutes: the mark stays at 2 while the others join.
        await Eventually.True(async () => await sale.GetStatus() is { CustomersWaiting: 0, TokensOutstanding: 2 }, "both early customers admitted");

        var project = await NodeClients.Installed();
        var output = await NodeClients.Run("node", ["places.mjs", server.BaseAddress.ToString().TrimEnd('/'), saleId, "2"], project,
            ("COMMERCE_OPERATOR_KEY", GatewayServer.OperatorKey));
        var summary = JsonSerializer.Deserialize<PlacesSummary>(output.Trim().Split('\n')[^1], ApiAssertions.Json)!;

        Assert.Empty(summary.Errors);
        Assert.Equal([1L, 2L], summary.Customers.Select(c => c.JoinedAt));
        Assert.Equal([[1L], [2L]], summary.Customers.Select(c => c.Pushed));
    }

    private sealed record PlacesSummary(CustomerPlaces[] Customers, string[] Errors);

    private sealed record CustomerPlaces(long? JoinedAt, long[] Pushed);

    /// <summary>
    /// Issue 12, defect 7 (46 <c>Admitted</c> pushes for 200 admitted buyers, no <c>SoldOut</c> for the 14
    /// still waiting). The sale is open while 2,000 buyers join and subscribe, so admissions race the
    /// subscriptions and every tick pushes places to a crowd: every buyer the sale admitted hears it
    /// (pushed, or in the answer to a subscription made after the admission), and everyone else hears
    /// sold out (pushed, answered, or refused at the door).
    /// </summary>
    [Fact]
    public async Task Every_one_of_two_thousand_signalr_buyers_hears_their_admission_or_sold_out()
    {
        const int customers = 2_000, units = 200;
        var crowd = new FlashSaleCrowd(server);
        var (saleId, _) = await crowd.CreateSale(units, admissionRatePerSecond: 50);

        var summary = await crowd.Run(saleId, customers, openFirst: true);

        var sale = (await server.Grains.GetGrain<IFlashSaleGrain>(saleId).GetStatus())!;
        Assert.Empty(summary.Errors);
        Assert.Equal((SalePhase.SoldOut, units), (sale.Phase, sale.UnitsSold));
        var admittedBySale = (int)(sale.CustomersQueued - sale.CustomersWaiting);
        Assert.Equal((admittedBySale, admittedBySale, units), (summary.Admitted, summary.Buyers, summary.UnitsPurchased));
        Assert.Equal((customers - admittedBySale, 0), (summary.SoldOut, summary.Undecided));
    }
}

/// <summary>A sale for a crowd, and the crowd itself: <c>signalr/crowd.mjs</c>, one node process driving every customer's connection.</summary>
internal sealed class FlashSaleCrowd(GatewayServer server)
{
    public const int Stock = 5_000;

    /// <param name="Undecided">Customers neither admitted nor told sold out when the sale was over: lost pushes.</param>
    public sealed record Summary(
        int Customers, int WithPosition, int WithPushedPosition, int PlaceWentUp, int Admitted, int Buyers, int UnitsPurchased, int SoldOut, int Undecided, string[] Errors);

    /// <summary>A scheduled sale of <paramref name="units"/> (one per customer) from a new SKU's stock.</summary>
    public async Task<(string SaleId, string Sku)> CreateSale(int units, int admissionRatePerSecond)
    {
        using var operators = await server.Operator();
        var sku = await new Storefront(server).CatalogSku(prefix: "hub-sku");
        var saleId = "hub-sale-" + Guid.NewGuid().ToString("N")[..8];
        (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = Stock })).EnsureSuccessStatusCode();
        var created = await operators.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            id = saleId,
            sku,
            units,
            price = new { amount = 1.00m, currency = "EUR" },
            startsAt = DateTimeOffset.UtcNow.AddHours(1),
            endsAt = DateTimeOffset.UtcNow.AddHours(2),
            perCustomerLimit = 1,
            admissionRatePerSecond,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (saleId, sku);
    }

    /// <param name="openFirst">Open the sale before the customers join (admissions race the joins), not once all are in.</param>
    public async Task<Summary> Run(string saleId, int customers, bool openFirst)
    {
        var project = await NodeClients.Installed();
        string[] arguments = ["crowd.mjs", server.BaseAddress.ToString().TrimEnd('/'), saleId, customers.ToString(CultureInfo.InvariantCulture), .. openFirst ? ["open-first"] : Array.Empty<string>()];
        var output = await NodeClients.Run("node", arguments, project, ("COMMERCE_OPERATOR_KEY", GatewayServer.OperatorKey));
        return JsonSerializer.Deserialize<Summary>(output.Trim().Split('\n')[^1], ApiAssertions.Json)!;
    }
}
