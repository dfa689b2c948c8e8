using Commerce.Catalog;
using Commerce.Catalog.Generation;
using Commerce.Grains.CatalogChanges;
using Commerce.Grains.Inventory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans;

namespace Commerce.Cli;

/// <summary>
/// <c>catalog seed</c>: a generated catalog (<see cref="CatalogGenerator"/>: categories, brands, attributes, sizes and
/// colours, prices in EUR) and stock. Ids come from the
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
        using var host = await ClusterConnection.Start(connectionString, cancellationToken);
        var changes = host.Services.GetRequiredService<ICatalogChangeFeed>();
        foreach (var batch in skus.Select(s => s.Sku.ProductId).Distinct(StringComparer.Ordinal).Chunk(1_000))
        {
            await changes.ProductsChangedAsync(batch);
        }
        await output.WriteLineAsync("Published for the search index.");
        if (stock > 0)
        {
            await ReceiveStock(host.Services.GetRequiredService<IGrainFactory>(), skus);
            await output.WriteLineAsync($"{stock} units received for each SKU at warehouse 'main'.");
        }
        await host.StopAsync(cancellationToken);
        return 0;
    }

    /// <summary>Generates and upserts the catalog (categories, brands, attributes, SKUs by size and colour); returns each SKU with the stock to receive.</summary>
    public static async Task<List<SeedSku>> WriteCatalog(NpgsqlDataSource dataSource, int products, int skusPerProduct, int stock, int seed, CancellationToken cancellationToken)
    {
        var skus = await new CatalogGenerator(seed, products, skusPerProduct).WriteAsync(dataSource, cancellationToken);
        return skus.Select(sku => new SeedSku(sku, stock)).ToList();
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
