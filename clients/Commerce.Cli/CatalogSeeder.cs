using Bogus;
using Commerce.Catalog;
using Commerce.Grains;
using Commerce.Grains.Inventory;
using Commerce.Hosting;
using Commerce.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans;

namespace Commerce.Cli;

/// <summary>
/// <c>catalog seed</c>: products with sizes and colours, prices in EUR, and stock. Ids come from the
/// seed and the position, so running it again updates the same products and SKUs, and stock
/// receipts carry an operation id, so a re-run does not add stock twice.
/// </summary>
internal static class CatalogSeeder
{
    public sealed record SeedSku(SkuDraft Sku, int Stock);

    public static async Task<int> Run(string connectionString, int products, int skusPerProduct, int stock, int seed, TextWriter output, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await output.WriteLineAsync("No database: pass --connection or set Commerce__Postgres__ConnectionString.");
            return 2;
        }
        if (products is < 1 or > 1_000_000 || skusPerProduct is < 1 or > 10 || stock < 0)
        {
            await output.WriteLineAsync("--products is 1 to 1,000,000, --skus-per-product 1 to 10, --stock 0 or more.");
            return 2;
        }
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var skus = await WriteCatalog(dataSource, products, skusPerProduct, stock, seed, cancellationToken);
        await output.WriteLineAsync($"{products} products and {skus.Count} SKUs written.");
        if (stock == 0)
        {
            return 0;
        }
        // Stock lives in the SKU inventory grains: reach them through the cluster like any client.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // The cluster's settings (Commerce__Cluster__ClusterId, ...) from the environment; the database as given.
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Postgres:ConnectionString"] = connectionString });
        builder.UseOrleansClient(client => client.AddCommerceClient(builder.Configuration));
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        await ReceiveStock(host.Services.GetRequiredService<IGrainFactory>(), skus);
        await output.WriteLineAsync($"{stock} units received for each SKU at warehouse 'main'.");
        await host.StopAsync(cancellationToken);
        return 0;
    }

    /// <summary>Generates and upserts the catalog; returns each SKU with the stock to receive.</summary>
    public static async Task<List<SeedSku>> WriteCatalog(NpgsqlDataSource dataSource, int products, int skusPerProduct, int stock, int seed, CancellationToken cancellationToken)
    {
        await PostgresMigrator.MigrateAsync(dataSource, typeof(CatalogStore).Assembly, "catalog", cancellationToken);
        var catalog = new CatalogStore(dataSource);
        var faker = new Faker("en") { Random = new Randomizer(seed) };
        string[] sizes = ["XS", "S", "M", "L", "XL", "XXL"];
        var skus = new List<SeedSku>();
        for (var p = 0; p < products; p++)
        {
            var productId = $"seed-{seed}-{p + 1:D6}";
            var title = faker.Commerce.ProductName();
            await catalog.UpsertProduct(new ProductDraft(productId, title, faker.Commerce.ProductDescription(), faker.Company.CompanyName(), true), cancellationToken);
            var basePrice = decimal.Parse(faker.Commerce.Price(5, 300, 2), System.Globalization.CultureInfo.InvariantCulture);
            var colour = faker.Commerce.Color();
            for (var s = 0; s < skusPerProduct; s++)
            {
                var size = sizes[s % sizes.Length];
                var options = new Dictionary<string, string> { ["size"] = size, ["colour"] = colour };
                var sku = new SkuDraft($"{productId}-{s + 1}", productId, $"{title}, {colour}, {size}", options, new Money(basePrice + s * 2m, "EUR"), true, null);
                await catalog.UpsertSku(sku, "cli:catalog-seed", cancellationToken);
                skus.Add(new SeedSku(sku, stock));
            }
        }
        return skus;
    }

    public static async Task ReceiveStock(IGrainFactory grains, IReadOnlyList<SeedSku> skus)
    {
        foreach (var batch in skus.Chunk(64))
        {
            await Task.WhenAll(batch.Select(async s =>
            {
                var result = await grains.GetGrain<ISkuInventoryGrain>(s.Sku.Code).Receive(new ReceiveStock("main", s.Stock, "cli:catalog-seed", "seed stock", OperationId: "seed:" + s.Sku.Code));
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException($"Receiving stock for {s.Sku.Code} failed: {result.Message}");
                }
            }));
        }
    }
}
