using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway.Tests;

/// <summary>Sets up catalog and stock through the operator API, and checks out like a storefront does.</summary>
internal sealed class Storefront(GatewayServer server)
{
    public static readonly object Shipping = new { method = "standard", region = "DE", address = new { name = "Ada Lovelace", line1 = "1 Analytical St", city = "Berlin", postalCode = "10115", country = "DE" } };

    public static object Checkout(string cardNumber = "4242424242424242") =>
        new { shipping = Shipping, card = new { number = cardNumber, expMonth = 12, expYear = DateTime.UtcNow.Year + 2, cvc = "123" } };

    /// <summary>A new product with one SKU at <paramref name="price"/> EUR and <paramref name="stock"/> units received.</summary>
    public async Task<string> Sku(decimal price, int stock)
    {
        using var operators = await server.Operator();
        var sku = await CatalogSku(price);
        if (stock > 0)
        {
            (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "main", quantity = stock })).EnsureSuccessStatusCode();
        }
        return sku;
    }

    /// <summary>A new product with one SKU at <paramref name="price"/> EUR, with no stock yet (inventory exists only for SKUs in the catalog).</summary>
    public async Task<string> CatalogSku(decimal price = 10m, string prefix = "sku")
    {
        using var operators = await server.Operator();
        return await CatalogSku(operators, price, prefix);
    }

    /// <summary>The same through any operator client (of a gateway process, for instance).</summary>
    public static async Task<string> CatalogSku(HttpClient operators, decimal price = 10m, string prefix = "sku")
    {
        var sku = prefix + "-" + Guid.NewGuid().ToString("N")[..10];
        var product = "p-" + sku;
        Assert.Equal(HttpStatusCode.Created, (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", new { title = "Desk lamp", description = "Bright." })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await operators.PutAsJsonAsync($"/api/v1/catalog/skus/{sku}",
            new { productId = product, title = "Desk lamp, black", options = new { colour = "black" }, price = new { amount = price, currency = "EUR" } })).StatusCode);
        return sku;
    }

    public static async Task<HttpResponseMessage> PlaceOrder(HttpClient customer, string key, object? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(body ?? Checkout()) };
        request.Headers.Add("Idempotency-Key", key);
        return await customer.SendAsync(request);
    }

    public async Task<(HttpClient Client, string CustomerId)> CustomerWith(string sku, int quantity)
    {
        var (client, customerId, _) = await server.SignedInCustomer();
        (await client.PutAsJsonAsync($"/api/v1/cart/items/{sku}", new { quantity })).EnsureSuccessStatusCode();
        return (client, customerId);
    }

    public async Task<int> Available(string sku)
    {
        using var operators = await server.Operator();
        var stock = await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<JsonElement>();
        return stock.GetProperty("warehouses").EnumerateArray().Sum(w => w.GetProperty("onHand").GetInt32() - w.GetProperty("reserved").GetInt32());
    }

    /// <summary>How many authorizations the built-in gateway made for an order (its own books).</summary>
    public async Task<long> Authorizations(string orderId)
    {
        await using var command = server.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT count(*) FROM test_gateway_charges WHERE reference = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = orderId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
