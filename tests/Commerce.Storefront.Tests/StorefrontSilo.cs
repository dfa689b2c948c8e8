using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Testing;
using Commerce.Testing.Silo;

namespace Commerce.Storefront.Tests;

/// <summary>
/// The real silo host (an Orleans silo with the gateway serving the storefront) on Kestrel at
/// 127.0.0.1 on a fresh PostgreSQL database, with a small catalog put in through the operator API
/// as a shop would: two category trees, a T-shirt in three sizes × two colours (one colour sold
/// out, the large size dearer), a shoe in two sizes, and a mug; search has them once this is ready.
/// </summary>
public sealed class StorefrontSilo : SiloServer
{
    public const string OperatorKey = "storefront-test-operator-key";

    /// <summary>The T-shirt's product id, and its SKUs PREFIX-size-colour.</summary>
    public const string Shirt = "merino-tee";

    public const string Shoe = "trail-shoe";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:Operators:BootstrapKey"] = OperatorKey,
        ["Commerce:RateLimits:AccountsPerAddress:PermitLimit"] = "1000",
        // Flash sales admit and expire on a short tick, so a test's sale moves as soon as it starts.
        ["Commerce:FlashSales:TickInterval"] = "00:00:00.020",
        // A shop's own shipping method: the pages offer what the silo is configured with.
        ["Commerce:Checkout:ShippingMethods:pickup:Price"] = "0",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var operators = await Operator();
        await Put(operators, "/api/v1/catalog/categories/apparel", new { name = "Apparel", slug = "apparel", position = 1 });
        await Put(operators, "/api/v1/catalog/categories/shirts", new
        {
            name = "Shirts", slug = "shirts", parentId = "apparel", position = 1,
            attributes = new[] { new { name = "material", type = "Option", values = new[] { "merino", "cotton" } } },
        });
        await Put(operators, "/api/v1/catalog/categories/shoes", new { name = "Shoes", slug = "shoes", parentId = "apparel", position = 2 });
        await Put(operators, "/api/v1/catalog/categories/kitchen", new { name = "Kitchen", slug = "kitchen", position = 2 });

        await Put(operators, $"/api/v1/catalog/products/{Shirt}", new
        {
            title = "Merino Crew T-Shirt", description = "A soft merino wool T-shirt that keeps you warm on cold mornings and cool in the sun.",
            brand = "Northwind", active = true, categoryId = "shirts", attributes = new { material = "merino" },
            variantOptions = new { size = new[] { "S", "M", "L" }, colour = new[] { "black", "white" } },
        });
        var shirts = await Post(operators, $"/api/v1/catalog/products/{Shirt}/variants", new
        {
            skuPrefix = "tee", price = new { amount = 25.00m, currency = "EUR" },
            overrides = new[] { new { options = new { size = "L" }, price = new { amount = 27.50m, currency = "EUR" } } },
        });
        await Put(operators, $"/api/v1/catalog/products/{Shoe}", new
        {
            title = "Trail Running Shoe", description = "A light shoe with a grippy sole for muddy trails.", brand = "Contoso", active = true, categoryId = "shoes",
            variantOptions = new { size = new[] { "42", "43" } },
        });
        var shoes = await Post(operators, $"/api/v1/catalog/products/{Shoe}/variants", new { skuPrefix = "shoe", price = new { amount = 89.00m, currency = "EUR" } });
        await Put(operators, "/api/v1/catalog/products/espresso-mug", new
        {
            title = "Espresso Mug", description = "A small stoneware mug for espresso.", brand = "Fabrikam", active = true, categoryId = "kitchen",
            variantOptions = new { colour = new[] { "blue" } },
        });
        var mugs = await Post(operators, "/api/v1/catalog/products/espresso-mug/variants", new { skuPrefix = "mug", price = new { amount = 9.00m, currency = "EUR" } });

        foreach (var variant in new[] { shirts, shoes, mugs }.SelectMany(v => v.GetProperty("skus").EnumerateArray()))
        {
            var options = variant.GetProperty("options");
            Skus[string.Join(" ", options.EnumerateObject().OrderBy(o => o.Name, StringComparer.Ordinal).Select(o => o.Value.GetString()))] = variant.GetProperty("code").GetString()!;
        }
        foreach (var sku in Skus.Where(s => !s.Key.StartsWith("white", StringComparison.Ordinal)).Select(s => s.Value))
        {
            await Post(operators, $"/api/v1/inventory/{sku}/receipts", new { warehouseId = "main", quantity = 50, note = "test stock" });
        }
        // The white T-shirts stay out of stock; search follows the catalog through its change stream.
        using var anonymous = Anonymous();
        await Eventually.True(async () =>
            (await anonymous.GetFromJsonAsync<JsonElement>("/api/v1/search?q=merino", Json)).GetProperty("total").GetInt64() == 1 &&
            (await anonymous.GetFromJsonAsync<JsonElement>("/api/v1/search?q=espresso&inStock=true", Json)).GetProperty("total").GetInt64() == 1,
            "search to have the seeded catalog", TimeSpan.FromSeconds(60));
    }

    /// <summary>SKU codes by their option values in option-name order: "black M" (colour, size), "42", "blue".</summary>
    public Dictionary<string, string> Skus { get; } = new(StringComparer.Ordinal);

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    public async Task<HttpClient> Operator()
    {
        var client = Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/operators/token", new { key = OperatorKey });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// A flash sale of one black M shirt at €15, scheduled an hour ahead (nothing depends on the clock; an operator
    /// may open it), admitting 1,000 buyers/s: on the fixture's 20 ms tick whoever the one unit allows gets in at once.
    /// </summary>
    public async Task<string> ScheduleFlashSale()
    {
        var saleId = "sale-" + Guid.NewGuid().ToString("N")[..10];
        using var operators = await Operator();
        await Post(operators, "/api/v1/flash-sales", new
        {
            id = saleId, sku = Skus["black M"], units = 1, price = new { amount = 15.00m, currency = "EUR" },
            startsAt = DateTimeOffset.UtcNow.AddHours(1), endsAt = DateTimeOffset.UtcNow.AddHours(2), perCustomerLimit = 1, admissionRatePerSecond = 1000,
        });
        return saleId;
    }

    private static async Task Put(HttpClient client, string path, object body) => await Check(await client.PutAsJsonAsync(path, body, Json), path);

    private static async Task<JsonElement> Post(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body, Json);
        await Check(response, path);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task Check(HttpResponseMessage response, string path)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Seeding {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
