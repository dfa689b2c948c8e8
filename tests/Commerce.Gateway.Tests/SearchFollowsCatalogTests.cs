using System.Net.Http.Json;
using Commerce.Catalog.Search;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway.Tests;

/// <summary>
/// The search index follows the catalog by itself: an operator's writes through the catalog API and a stock
/// receipt reach search through the catalog-change stream and its consumer in the gateway's silo, with no call
/// to the index in the test. Would fail if an endpoint stopped publishing or the silo stopped consuming. Searches go
/// through the gateway's cache as in production, so a change shows within the cache's window on top of the stream's lag.
/// </summary>
public sealed class SearchFollowsCatalogTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private async Task<SearchResults> Search(string query)
    {
        using var shopper = server.Anonymous();
        return await (await shopper.GetAsync("/api/v1/search?q=" + Uri.EscapeDataString(query))).Read<SearchResults>();
    }

    [Fact]
    public void The_gateway_answers_searches_through_the_cache() => Assert.IsType<CachedSearchIndex>(server.Services.GetRequiredService<ISearchIndex>());

    [Fact]
    public async Task A_product_created_renamed_stocked_and_archived_through_the_api_is_found_as_it_is_now()
    {
        using var operators = await server.Operator();
        // A word no other test's product has, so that the search answers for this product alone.
        var word = "zq" + Guid.NewGuid().ToString("N")[..10];
        var product = "follow-" + Guid.NewGuid().ToString("N")[..12];
        var sku = product + "-m";
        (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", new { title = $"Lantern {word}", brand = "Acme" })).EnsureSuccessStatusCode();
        (await operators.PutAsJsonAsync($"/api/v1/catalog/skus/{sku}", new { productId = product, title = "Lantern M", price = new { amount = 25m, currency = "EUR" } }))
            .EnsureSuccessStatusCode();

        var found = await Eventually.Value(() => Search(word), r => r.Hits.Count == 1, "the new product in search");
        Assert.Equal((product, false), (found.Hits[0].ProductId, found.Hits[0].InStock));

        (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "main", quantity = 12 })).EnsureSuccessStatusCode();
        await Eventually.Value(() => Search(word), r => r.Hits is [{ InStock: true }], "the received stock in search");

        var renamed = "zr" + Guid.NewGuid().ToString("N")[..10];
        (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", new { title = $"Lantern {renamed}", brand = "Acme" })).EnsureSuccessStatusCode();
        await Eventually.Value(() => Search(renamed), r => r.Hits.Count == 1, "the new title in search");
        await Eventually.Value(() => Search(word), r => r.Hits.Count == 0, "the old title gone from search");

        (await operators.PostAsync($"/api/v1/catalog/products/{product}/archive", null)).EnsureSuccessStatusCode();
        await Eventually.Value(() => Search(renamed), r => r.Hits.Count == 0, "the archived product gone from search");
    }
}
