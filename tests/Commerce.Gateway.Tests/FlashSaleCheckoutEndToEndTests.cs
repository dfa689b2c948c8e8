using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Testing;
using Orleans;

namespace Commerce.Gateway.Tests;

/// <summary>
/// A gateway whose flash-sale buyers have twelve seconds to pay, so that unpaid purchases expire within a test — and
/// the first buyers' purchases and payments (a dozen calls) fit well inside the window on a loaded machine; with four
/// seconds a declined payment once arrived after its purchase had expired (409 instead of 402).
/// </summary>
public sealed class ShortPaymentWindowServer : GatewayServer
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Commerce:FlashSales:PayWithin"] = "00:00:12",
    };
}

/// <summary>
/// A flash sale from queue to paid orders over HTTP: more buyers than units; some pay, some are
/// declined, some let their time run out. At the end paid orders equal units sold, nothing is
/// oversold or held, and every unpaid unit went to a later buyer in the queue.
/// </summary>
public sealed class FlashSaleCheckoutEndToEndTests(ShortPaymentWindowServer server) : IClassFixture<ShortPaymentWindowServer>
{
    private const string Declined = "4000000000000002";

    private sealed record Buyer(HttpClient Client, string CustomerId) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }

    private sealed class Crowd : IDisposable
    {
        public List<Buyer> Buyers { get; } = [];

        public void Dispose() => Buyers.ForEach(b => b.Dispose());
    }

    private static async Task<HttpResponseMessage> Post(HttpClient client, string path, object body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    private static async Task<FlashSalePurchase> Buy(Buyer buyer, string saleId, PurchaseToken token)
    {
        var response = await Post(buyer.Client, $"/api/v1/flash-sales/{saleId}/purchases", new { token = token.Value, quantity = 1 }, "buy-" + buyer.CustomerId);
        var purchase = await response.Read<FlashSalePurchase>(HttpStatusCode.Created);
        // The Location names a route that exists and shows the purchase to its buyer.
        Assert.Equal(purchase, await (await buyer.Client.GetAsync(response.Headers.Location)).Read<FlashSalePurchase>());
        return purchase;
    }

    private static Task<HttpResponseMessage> Pay(Buyer buyer, FlashSalePurchase purchase, string card, string key) =>
        Post(buyer.Client, $"/api/v1/flash-sales/{purchase.SaleId}/purchases/{purchase.PurchaseId}/checkout", Storefront.Checkout(card), key);

    private static async Task<QueueStatus> Place(Buyer buyer, string saleId) =>
        await (await buyer.Client.GetAsync($"/api/v1/flash-sales/{saleId}/queue/me")).Read<QueueStatus>();

    [Fact]
    public async Task Paid_orders_equal_units_sold_and_every_unpaid_unit_goes_to_a_later_buyer()
    {
        var storefront = new Storefront(server);
        using var operators = await server.Operator();
        // Every unit of the SKU is in the sale: regular stock stays at zero throughout.
        var sku = await storefront.Sku(25m, stock: 4);
        var saleId = "sale-" + Guid.NewGuid().ToString("N")[..10];
        await (await operators.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            id = saleId, sku, units = 4, price = new { amount = 9.50m, currency = "EUR" },
            startsAt = DateTimeOffset.UtcNow.AddHours(1), endsAt = DateTimeOffset.UtcNow.AddHours(2), perCustomerLimit = 1, admissionRatePerSecond = 1000,
        })).Read<FlashSaleStatus>(HttpStatusCode.Created);
        var admissions = new Admissions();
        await server.Grains.GetGrain<IFlashSaleGrain>(saleId).Subscribe(server.Grains.CreateObjectReference<IFlashSaleObserver>(admissions));

        using var crowd = new Crowd();
        var buyers = crowd.Buyers;
        for (var i = 0; i < 8; i++)
        {
            var (client, _, _) = await server.SignedInCustomer();
            var joined = await (await client.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).Read<QueueStatus>();
            buyers.Add(new Buyer(client, joined.CustomerId));
        }
        (await operators.PostAsync($"/api/v1/flash-sales/{saleId}/start", null)).EnsureSuccessStatusCode();

        // The first four: one pays, one is declined and gives up, one never pays, one pays.
        var first = new List<FlashSalePurchase>();
        foreach (var buyer in buyers.Take(4))
        {
            first.Add(await Buy(buyer, saleId, await admissions.Of(buyer.CustomerId)));
        }
        Assert.Equal((QueueEntryState.SoldOut, 1L), ((await Place(buyers[4], saleId)).State, (await Place(buyers[4], saleId)).Position));
        var paid = new List<OrderView> { await (await Pay(buyers[0], first[0], "4242424242424242", "pay-0")).Read<OrderView>(HttpStatusCode.Created) };
        var declined = await (await Pay(buyers[1], first[1], Declined, "pay-1")).AssertProblem(HttpStatusCode.PaymentRequired, code: "payment-declined");
        Assert.Equal("card_declined", declined.GetProperty("declineCode").GetString());
        paid.Add(await (await Pay(buyers[3], first[3], "4242424242424242", "pay-3")).Read<OrderView>(HttpStatusCode.Created));
        Assert.Equal(PurchaseState.AwaitingPayment, (await (await buyers[2].Client.GetAsync($"/api/v1/flash-sales/{saleId}/purchases/{first[2].PurchaseId}")).Read<FlashSalePurchase>()).State);
        Assert.Equal(0, await storefront.Available(sku));

        // Their time runs out: the two unpaid units go to the next two in the queue, not to regular stock.
        var fifth = await admissions.Of(buyers[4].CustomerId);
        var sixth = await admissions.Of(buyers[5].CustomerId);
        Assert.Equal(0, await storefront.Available(sku));
        Assert.Equal(QueueEntryState.Expired, (await Place(buyers[1], saleId)).State);
        Assert.Equal(QueueEntryState.Expired, (await Place(buyers[2], saleId)).State);
        await (await Pay(buyers[2], first[2], "4242424242424242", "pay-2")).AssertProblem(HttpStatusCode.Conflict, "purchaseId", "purchase-expired");

        // The later buyers: one pays at once, one is declined and then pays with another card.
        var fifthBought = await Buy(buyers[4], saleId, fifth);
        var sixthBought = await Buy(buyers[5], saleId, sixth);
        paid.Add(await (await Pay(buyers[4], fifthBought, "4242424242424242", "pay-4")).Read<OrderView>(HttpStatusCode.Created));
        await (await Pay(buyers[5], sixthBought, Declined, "pay-5a")).AssertProblem(HttpStatusCode.PaymentRequired, code: "payment-declined");
        paid.Add(await (await Pay(buyers[5], sixthBought, "4242424242424242", "pay-5b")).Read<OrderView>(HttpStatusCode.Created));

        // Paid orders = units sold, at the sale's price; each buyer's place says what happened.
        Assert.All(paid, order => Assert.Equal((OrderStatus.Confirmed, 9.50m), (order.Status, order.Lines.Single().UnitPrice.Amount)));
        var status = await (await operators.GetAsync($"/api/v1/flash-sales/{saleId}")).Read<FlashSaleStatus>();
        Assert.Equal((SalePhase.SoldOut, 4, 4, 0, 2), (status.Phase, status.UnitsSold, status.UnitsPaid, status.UnitsAwaitingPayment, status.UnitsExpired));
        int[] payers = [0, 3, 4, 5];
        for (var i = 0; i < buyers.Count; i++)
        {
            var place = await Place(buyers[i], saleId);
            var expected = payers.Contains(i) ? QueueEntryState.Paid : i is 1 or 2 ? QueueEntryState.Expired : QueueEntryState.SoldOut;
            Assert.Equal(expected, place.State);
            Assert.Equal(payers.Contains(i) ? paid[Array.IndexOf(payers, i)].OrderId : null, place.OrderId);
            var orders = await (await buyers[i].Client.GetAsync("/api/v1/orders")).Read<JsonElement>();
            Assert.Equal(payers.Contains(i) ? 1 : 0, orders.GetProperty("orders").EnumerateArray().Count(o => o.GetProperty("status").GetString() == "Confirmed"));
        }

        // The operator's dashboard tells the same story.
        var board = await Eventually.Value(
            async () => (await (await operators.GetAsync("/api/v1/dashboard")).Read<JsonElement>()).GetProperty("commerce").GetProperty("flashSales")
                .EnumerateArray().Where(s => s.GetProperty("saleId").GetString() == saleId).Select(s => (JsonElement?)s).FirstOrDefault(),
            sale => sale is { } s && s.GetProperty("unitsPaid").GetInt32() == 4);
        Assert.Equal(2, board!.Value.GetProperty("unitsExpired").GetInt32());

        // Nothing oversold, nothing held: the SKU sold exactly its four units, and the ended sale holds nothing.
        var stock = await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>();
        Assert.Equal((0, 0, 0), (stock.OnHand, stock.Reserved, stock.Available));
        (await operators.PostAsync($"/api/v1/flash-sales/{saleId}/cancel", null)).EnsureSuccessStatusCode();
        Assert.Empty(await server.Grains.GetGrain<ISkuInventoryGrain>(sku).GetHolds());

    }
}
