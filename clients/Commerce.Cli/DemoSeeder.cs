using Commerce.Catalog.Generation;
using Commerce.Grains;
using Commerce.Grains.CatalogChanges;
using Commerce.Grains.FlashSales;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans;

namespace Commerce.Cli;

/// <summary>
/// <c>demo seed</c>, which <c>deploy/run</c> calls once the silo is up: on a new shop's database (no category, no product)
/// a small generated catalog with stock, published for search, and a flash sale of one of its SKUs starting a few minutes
/// later, so that whoever starts the shop sees it live at once. Every step is idempotent and the demo catalog is the same
/// on every run, so a first run that stopped half way (the catalog written, the sale not) is finished by the next. On any
/// other database it does nothing, so a shop's own catalog is never touched and running it again changes nothing.
/// </summary>
internal static class DemoSeeder
{
    public const string SaleId = "demo-flash-sale";

    public const int Products = 48;

    public const int SkusPerProduct = 3;

    public const int StockPerSku = 25;

    public const int SaleUnits = 10;

    /// <summary>Long enough to open the storefront and join the queue before it opens.</summary>
    public static readonly TimeSpan SaleStartsIn = TimeSpan.FromMinutes(3);

    public static readonly TimeSpan SaleLasts = TimeSpan.FromHours(2);

    /// <summary>The sale's price: 30% off the SKU's.</summary>
    private const decimal SaleFactor = 0.7m;

    private const int RandomSeed = 7;

    public sealed record DemoShop(int Products, int Skus, FlashSaleStatus Sale);

    public static async Task<int> Run(string connectionString, TextWriter output, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await output.WriteLineAsync("No database: pass --connection or set Commerce__Postgres__ConnectionString.");
            return 2;
        }
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        using var host = await ClusterConnection.Start(connectionString, cancellationToken);
        var shop = await Seed(dataSource, host.Services.GetRequiredService<IGrainFactory>(), host.Services.GetRequiredService<ICatalogChangeFeed>(),
            TimeProvider.System.GetUtcNow(), cancellationToken);
        await output.WriteLineAsync(shop is null
            ? "The catalog is not empty: no demo data seeded."
            : $"Demo shop seeded: {shop.Products} products, {shop.Skus} SKUs with {StockPerSku} units each; flash sale '{shop.Sale.SaleId}' of {shop.Sale.Units} × {shop.Sale.Sku} " +
              $"at {shop.Sale.Price.Amount} {shop.Sale.Price.Currency} starts {shop.Sale.StartsAt:u}.");
        await host.StopAsync(cancellationToken);
        return 0;
    }

    /// <summary>The demo catalog: a few departments with a few kinds each that belong in them, so every category page has products.</summary>
    public static CatalogGenerator Catalog() => new(RandomSeed, Products, SkusPerProduct,
    [
        new("Home & Kitchen", [new("Chairs", "Chair"), new("Tables", "Table"), new("Towels", "Towels")]),
        new("Clothing", [new("Shirts", "Shirt"), new("Trousers", "Pants"), new("Shoes", "Shoes")]),
        new("Electronics", [new("Computers", "Computer"), new("Keyboards", "Keyboard"), new("Mice", "Mouse")]),
        new("Sports & Outdoors", [new("Bikes", "Bike"), new("Balls", "Ball"), new("Gloves", "Gloves")]),
    ]);

    /// <summary>
    /// Seeds the demo shop if the catalog is empty, or holds only the demo catalog and the demo sale does not exist yet;
    /// null otherwise (nothing is written).
    /// </summary>
    public static async Task<DemoShop?> Seed(NpgsqlDataSource dataSource, IGrainFactory grains, ICatalogChangeFeed changes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var catalog = Catalog();
        var sale = grains.GetGrain<IFlashSaleGrain>(SaleId);
        var unfinished = await HoldsOnly(dataSource, catalog, cancellationToken) && await sale.GetStatus() is null;
        if (!unfinished)
        {
            return null;
        }
        var skus = await catalog.WriteAsync(dataSource, cancellationToken);
        await changes.ProductsChangedAsync(skus.Select(s => s.ProductId).ToList());
        await CatalogSeeder.ReceiveStock(grains, skus.Select(s => new CatalogSeeder.SeedSku(s, StockPerSku)).ToList());

        var sku = skus[0];
        var startsAt = now + SaleStartsIn;
        var created = await sale.Create(new CreateFlashSale(sku.Code, SaleUnits,
            new Money(decimal.Round(sku.Price.Amount * SaleFactor, 2), sku.Price.Currency), startsAt, startsAt + SaleLasts,
            PerCustomerLimit: 1, AdmissionRatePerSecond: 2, TokenLifetime: null, WarehouseId: null, Actor: "cli:demo-seed"));
        if (!created.Succeeded)
        {
            throw new InvalidOperationException($"Creating the demo flash sale failed: {created.Message}");
        }
        return new DemoShop(Products, skus.Count, created.Sale!);
    }

    /// <summary>Whether every category and product in the database is one of <paramref name="catalog"/>'s (true for an empty catalog).</summary>
    private static async Task<bool> HoldsOnly(NpgsqlDataSource dataSource, CatalogGenerator catalog, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT NOT EXISTS (SELECT 1 FROM catalog_categories WHERE category_id <> ALL($1)) AND NOT EXISTS (SELECT 1 FROM catalog_products WHERE product_id <> ALL($2))");
        command.Parameters.Add(new() { Value = catalog.Categories.Select(c => c.CategoryId).ToArray() });
        command.Parameters.Add(new() { Value = catalog.Products.Select(p => p.ProductId).ToArray() });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
