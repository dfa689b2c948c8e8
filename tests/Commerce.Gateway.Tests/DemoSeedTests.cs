using System.Text.Json;
using Commerce.Catalog;
using Commerce.Catalog.Search;
using Commerce.Cli;
using Commerce.Gateway.FlashSales;
using Commerce.Grains.CatalogChanges;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Gateway.Tests;

/// <summary><c>commerce demo seed</c> (what deploy/run calls) on the server's database, which starts empty (a fixture of its own).</summary>
public sealed class DemoSeedTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private Task<DemoSeeder.DemoShop?> Seed(DateTimeOffset now) => DemoSeeder.Seed(server.Services.GetRequiredService<NpgsqlDataSource>(), server.Grains,
        server.Services.GetRequiredService<ICatalogChangeFeed>(), now, CancellationToken.None);

    [Fact]
    public async Task It_seeds_a_searchable_catalog_with_stock_and_an_upcoming_sale_finishing_a_run_that_stopped_and_a_second_run_changes_nothing()
    {
        var dataSource = server.Services.GetRequiredService<NpgsqlDataSource>();
        // A shop of its own (here one category) is never seeded.
        await using (var own = dataSource.CreateCommand("INSERT INTO catalog_categories (category_id, name, slug, path) VALUES ('own', 'Own', 'own', 'own')"))
        {
            await own.ExecuteNonQueryAsync();
        }
        Assert.Null(await Seed(DateTimeOffset.UtcNow));
        Assert.Null(await server.Grains.GetGrain<IFlashSaleGrain>(DemoSeeder.SaleId).GetStatus());
        await using (var gone = dataSource.CreateCommand("DELETE FROM catalog_categories WHERE category_id = 'own'"))
        {
            await gone.ExecuteNonQueryAsync();
        }
        // A first run that stopped after writing the demo catalog and its stock: the next run finishes it.
        var written = await DemoSeeder.Catalog().WriteAsync(dataSource, CancellationToken.None);
        await CatalogSeeder.ReceiveStock(server.Grains, written.Select(sku => new CatalogSeeder.SeedSku(sku, DemoSeeder.StockPerSku)).ToList());

        var now = DateTimeOffset.UtcNow;
        var shop = await Seed(now);

        Assert.NotNull(shop);
        Assert.Equal((DemoSeeder.Products, DemoSeeder.Products * DemoSeeder.SkusPerProduct), (shop.Products, shop.Skus));
        using var anonymous = server.Anonymous();
        var categories = await (await anonymous.GetAsync("/api/v1/catalog/categories")).Read<JsonElement>();
        Assert.InRange(categories.GetArrayLength(), 2, 4);
        var products = await (await anonymous.GetAsync("/api/v1/catalog/products?limit=200")).Read<ProductPage>();
        Assert.Equal(DemoSeeder.Products, products.Products.Count);

        var sales = await (await anonymous.GetAsync("/api/v1/flash-sales/current")).Read<CurrentFlashSale[]>();
        var sale = Assert.Single(sales);
        Assert.Equal((DemoSeeder.SaleId, SalePhase.Scheduled, DemoSeeder.SaleUnits, now + DemoSeeder.SaleStartsIn), (sale.SaleId, sale.Phase, sale.UnitsLeft, sale.StartsAt));
        Assert.True(sale.StartsAt > DateTimeOffset.UtcNow, "The sale starts in the future.");
        Assert.True(sale.Price.Amount < sale.RegularPrice.Amount && sale.Price.Amount > 0, $"{sale.Price.Amount} is below {sale.RegularPrice.Amount}.");
        var product = await (await anonymous.GetAsync($"/api/v1/catalog/products/{sale.ProductId}")).Read<JsonElement>();
        Assert.All(product.GetProperty("skus").EnumerateArray(), sku => Assert.NotEqual("OutOfStock", sku.GetProperty("stock").GetString()));
        // Received once per SKU, however many runs it took (a SKU the sale does not hold units of).
        var other = shop.Sale.Sku[..^1] + "2";
        Assert.Equal(DemoSeeder.StockPerSku, (await server.Grains.GetGrain<ISkuInventoryGrain>(other).GetStock())!.OnHand);

        // Published on the catalog stream as the seeder does: the sale's product is found by its title.
        var query = Uri.EscapeDataString(sale.Title.Split(',')[0]);
        await Eventually.Value(async () => await (await anonymous.GetAsync($"/api/v1/search?q={query}")).Read<SearchResults>(),
            found => found.Hits.Any(hit => hit.ProductId == sale.ProductId), "the seeded product in search");

        Assert.Null(await Seed(now.AddHours(1)));
        Assert.Equal(DemoSeeder.Products, (await (await anonymous.GetAsync("/api/v1/catalog/products?limit=200")).Read<ProductPage>()).Products.Count);
        var again = Assert.Single(await (await anonymous.GetAsync("/api/v1/flash-sales/current")).Read<CurrentFlashSale[]>());
        Assert.Equal(sale, again);
    }
}
