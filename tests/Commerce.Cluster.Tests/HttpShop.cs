using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Commerce.Cluster.Tests;

/// <summary>
/// The shop over HTTP, as a storefront or an operator uses it: tokens, catalog and stock, carts and
/// checkout. Every request names the process it goes to, so one customer's requests can move between
/// the cluster's gateways.
/// </summary>
internal sealed class HttpShop : IDisposable
{
    public static readonly object Shipping = new { method = "standard", region = "DE", address = new { name = "Ada Lovelace", line1 = "1 Analytical St", city = "Berlin", postalCode = "10115", country = "DE" } };

    public const string GoodCard = "4242424242424242";
    public const string DeclinedCard = "4000000000000002";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static object Checkout(string card) =>
        new { shipping = Shipping, card = new { number = card, expMonth = 12, expYear = DateTime.UtcNow.Year + 2, cvc = "123" } };

    public async Task<HttpResponseMessage> SendAsync(Uri at, HttpMethod method, string path, string? token = null, object? body = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(at, path));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return await _http.SendAsync(request);
    }

    public async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<string> OperatorTokenAsync(Uri at) =>
        (await ReadAsync(await SendAsync(at, HttpMethod.Post, "/api/v1/operators/token", body: new { key = ClusterHarness.OperatorKey }))).GetProperty("accessToken").GetString()!;

    public async Task<string> AnonymousTokenAsync(Uri at) =>
        (await ReadAsync(await SendAsync(at, HttpMethod.Post, "/api/v1/customers/anonymous"))).GetProperty("accessToken").GetString()!;

    /// <summary>Registers an account at one process and signs it in (maybe at another).</summary>
    public async Task<(string AccountId, string AccessToken, string RefreshToken)> SignedInCustomerAsync(Uri registerAt, Uri? loginAt = null)
    {
        var email = $"shopper-{Guid.NewGuid():N}@example.com";
        var account = await ReadAsync(await SendAsync(registerAt, HttpMethod.Post, "/api/v1/accounts", body: new { email, password = "correct horse battery" }), HttpStatusCode.Created);
        var tokens = await ReadAsync(await SendAsync(loginAt ?? registerAt, HttpMethod.Post, "/api/v1/accounts/login", body: new { email, password = "correct horse battery" }));
        return (account.GetProperty("accountId").GetString()!, tokens.GetProperty("accessToken").GetString()!, tokens.GetProperty("refreshToken").GetString()!);
    }

    /// <summary>A product with one SKU at <paramref name="price"/> EUR, and <paramref name="stock"/> units received at warehouse main.</summary>
    public async Task CreateSkuAsync(Uri at, string operatorToken, string sku, decimal price, int stock)
    {
        var product = "p-" + sku;
        await ReadAsync(await SendAsync(at, HttpMethod.Put, $"/api/v1/catalog/products/{product}", operatorToken, new { title = "Desk lamp", description = "Bright." }), HttpStatusCode.Created);
        await ReadAsync(await SendAsync(at, HttpMethod.Put, $"/api/v1/catalog/skus/{sku}", operatorToken,
            new { productId = product, title = "Desk lamp, black", options = new { colour = "black" }, price = new { amount = price, currency = "EUR" } }), HttpStatusCode.Created);
        if (stock > 0)
        {
            await ReadAsync(await SendAsync(at, HttpMethod.Post, $"/api/v1/inventory/{sku}/receipts", operatorToken, new { warehouseId = "main", quantity = stock }, idempotencyKey: $"receipt-{sku}"));
        }
    }

    /// <summary>On hand and reserved at warehouse main, as operators read it.</summary>
    public async Task<(int OnHand, int Reserved)> StockAsync(Uri at, string operatorToken, string sku)
    {
        var stock = await ReadAsync(await SendAsync(at, HttpMethod.Get, $"/api/v1/inventory/{sku}/stock", operatorToken));
        var main = stock.GetProperty("warehouses").EnumerateArray().Single(w => w.GetProperty("warehouseId").GetString() == "main");
        return (main.GetProperty("onHand").GetInt32(), main.GetProperty("reserved").GetInt32());
    }

    public async Task SetCartLineAsync(Uri at, string token, string sku, int quantity) =>
        await ReadAsync(await SendAsync(at, HttpMethod.Put, $"/api/v1/cart/items/{sku}", token, new { quantity }));

    public Task<HttpResponseMessage> PlaceOrderAsync(Uri at, string token, string idempotencyKey, string card) =>
        SendAsync(at, HttpMethod.Post, "/api/v1/orders", token, Checkout(card), idempotencyKey);

    public void Dispose() => _http.Dispose();
}
