using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Catalog;
using Commerce.Gateway.Dashboard;
using Commerce.Grains;
using Commerce.Grains.Carts;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Testing;
using Commerce.Testing.Silo;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Dashboard.Tests;

/// <summary>
/// The real silo host (an Orleans silo with the gateway) on Kestrel at 127.0.0.1 (a free port) on a
/// fresh PostgreSQL database, with the dashboard sampling every second and reading sales, SKUs and
/// reminders more often than by default.
/// </summary>
public sealed class DashboardSilo : SiloServer
{
    public const string OperatorKey = "dashboard-test-operator-key";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:Operators:BootstrapKey"] = OperatorKey,
        ["Commerce:FlashSales:TickInterval"] = "00:00:00.050",
        ["Commerce:Dashboard:CommerceInterval"] = "00:00:00.500",
        ["Commerce:Dashboard:SlowQueryInterval"] = "00:00:01",
        ["Commerce:RateLimits:OperatorLoginPerAddress:PermitLimit"] = "1000",
    };

    public static readonly CardOnFile Visa = new("pm_card_visa", "visa", "4242");

    public static readonly CardOnFile DeclinedCard = new("pm_card_chargeDeclined", "visa", "0002");

    /// <summary>A SKU for sale in the catalog at 25 EUR, with <paramref name="stock"/> units in warehouse "main".</summary>
    public async Task<string> SkuForSale(int stock)
    {
        var sku = await CatalogSku();
        await Grains.GetGrain<ISkuInventoryGrain>(sku).Receive(new ReceiveStock("main", stock, "test"));
        return sku;
    }

    /// <summary>A new SKU in the catalog at 25 EUR, named <paramref name="prefix"/>-random, with no stock yet (inventory exists only for catalog SKUs).</summary>
    public async Task<string> CatalogSku(string prefix = "sku")
    {
        var sku = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        var catalog = Services.GetRequiredService<CatalogStore>();
        await catalog.UpsertProduct(new ProductDraft("p-" + sku, "Product " + sku, "", null, true));
        await catalog.UpsertSku(new SkuDraft(sku, "p-" + sku, "Item " + sku, new Dictionary<string, string> { ["size"] = "M" }, new Money(25m, "EUR"), true, null), "test:dashboard");
        return sku;
    }

    /// <summary>A new customer checks out one unit of <paramref name="sku"/>, paying with <paramref name="card"/>; returns the order id.</summary>
    public async Task<string> PlaceOrder(string sku, CardOnFile card)
    {
        var customer = "customer-" + Guid.NewGuid().ToString("N")[..8];
        Assert.True((await Grains.GetGrain<ICartGrain>(customer).Add(sku, 1)).Succeeded);
        var orderId = "order-" + Guid.NewGuid().ToString("N")[..8];
        var address = new ShippingAddress("Ada Lovelace", "1 Analytical St", null, "Berlin", "10115", "DE");
        await Grains.GetGrain<IOrderGrain>(orderId).Place(new PlaceOrder(customer, "body", "standard", "DE", address, card));
        return orderId;
    }

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    public Task<HttpClient> Operator() => SignedIn(this.BaseAddress, "/api/v1/operators/token", new { key = OperatorKey });

    public Task<HttpClient> Customer() => SignedIn(this.BaseAddress, "/api/v1/customers/anonymous", null);

    /// <summary>A client holding the token that <paramref name="path"/> issues.</summary>
    public static async Task<HttpClient> SignedIn(Uri baseAddress, string path, object? body)
    {
        var client = new HttpClient { BaseAddress = baseAddress };
        var response = await client.PostAsJsonAsync(path, body);
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// What the commerce dashboard's link does before opening Orleans' dashboard: the operator's
    /// <paramref name="client"/> asks for the cookie; returns the whole Set-Cookie header.
    /// </summary>
    public static async Task<string> OrleansDashboardCookie(HttpClient client)
    {
        using var response = await client.PostAsync("/api/v1/dashboard/orleans-session", null);
        response.EnsureSuccessStatusCode();
        return Assert.Single(response.Headers.GetValues("Set-Cookie"));
    }

    /// <summary>A client that sends only this cookie (name=value, as a browser would), no Authorization header.</summary>
    public HttpClient WithCookie(string setCookie)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Add("Cookie", setCookie.Split(';')[0]);
        return client;
    }

    /// <summary>
    /// Asks for the dashboard until <paramref name="until"/> holds (or 45 seconds pass, then fails with
    /// the last view), doing <paramref name="whileWaiting"/> (load for the dashboard to see) before each read.
    /// </summary>
    public static async Task<DashboardView> WaitForView(HttpClient client, Func<DashboardView, bool> until, string what, Func<Task>? whileWaiting = null) =>
        (await Eventually.Value(
            async () =>
            {
                if (whileWaiting is not null)
                {
                    await whileWaiting();
                }
                return await client.GetFromJsonAsync<DashboardView>("/api/v1/dashboard", Json);
            },
            view => view is not null && until(view),
            "the dashboard to show " + what, TimeSpan.FromSeconds(45), view => JsonSerializer.Serialize(view, Json)))!;
}
