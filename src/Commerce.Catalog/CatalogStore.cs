using System.Text.Json;
using Commerce.Grains;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Catalog;

/// <summary>Products and SKUs in PostgreSQL (<c>catalog_products</c>, <c>catalog_skus</c>).</summary>
public sealed class CatalogStore(NpgsqlDataSource dataSource)
{
    private const string SkuColumns = "s.sku, s.product_id, s.title, s.options::text, s.price, s.currency, s.active, s.purchase_limit";

    /// <summary>Creates or updates a product; true when it was created.</summary>
    public async Task<bool> UpsertProduct(ProductDraft product, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO catalog_products (product_id, title, description, brand, active) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (product_id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description,
                brand = EXCLUDED.brand, active = EXCLUDED.active, updated_at = now()
            RETURNING (xmax = 0)
            """);
        command.Parameters.Add(new() { Value = product.ProductId });
        command.Parameters.Add(new() { Value = product.Title });
        command.Parameters.Add(new() { Value = product.Description });
        command.Parameters.Add(new() { Value = (object?)product.Brand ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = product.Active });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Creates or updates a SKU; true when it was created, null when its product does not exist.</summary>
    public async Task<bool?> UpsertSku(SkuDraft sku, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO catalog_skus (sku, product_id, title, options, price, currency, active, purchase_limit)
            SELECT $1, $2, $3, $4::jsonb, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM catalog_products WHERE product_id = $2)
            ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, title = EXCLUDED.title, options = EXCLUDED.options,
                price = EXCLUDED.price, currency = EXCLUDED.currency, active = EXCLUDED.active,
                purchase_limit = EXCLUDED.purchase_limit, updated_at = now()
            RETURNING (xmax = 0)
            """);
        command.Parameters.Add(new() { Value = sku.Code });
        command.Parameters.Add(new() { Value = sku.ProductId });
        command.Parameters.Add(new() { Value = sku.Title });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(sku.Options) });
        command.Parameters.Add(new() { Value = sku.Price.Amount });
        command.Parameters.Add(new() { Value = sku.Price.Currency });
        command.Parameters.Add(new() { Value = sku.Active });
        command.Parameters.Add(new() { Value = (object?)sku.PurchaseLimit ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        return (bool?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>The SKUs among <paramref name="codes"/> that exist, by code. A SKU of an inactive product counts as inactive.</summary>
    public async Task<IReadOnlyDictionary<string, Sku>> GetSkus(IReadOnlyCollection<string> codes, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, Sku>(StringComparer.Ordinal);
        if (codes.Count == 0)
        {
            return found;
        }
        await using var command = dataSource.CreateCommand(
            $"SELECT {SkuColumns}, p.active FROM catalog_skus s JOIN catalog_products p USING (product_id) WHERE s.sku = ANY($1)");
        command.Parameters.Add(new() { Value = codes.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var sku = ReadSku(reader);
            found[sku.Code] = sku with { Active = sku.Active && reader.GetBoolean(8) };
        }
        return found;
    }

    /// <summary>A product with its SKUs; with <paramref name="activeOnly"/>, null for an inactive product and without inactive SKUs.</summary>
    public async Task<Product?> GetProduct(string productId, bool activeOnly, CancellationToken cancellationToken = default)
    {
        var page = await ReadProducts("p.product_id = $1", productId, activeOnly, 1, cancellationToken);
        return page.Products.FirstOrDefault();
    }

    /// <summary>Products ordered by id after <paramref name="after"/>, at most <paramref name="limit"/>.</summary>
    public Task<ProductPage> ListProducts(string? after, int limit, bool activeOnly, CancellationToken cancellationToken = default) =>
        ReadProducts("p.product_id > $1", after ?? "", activeOnly, limit, cancellationToken);

    private async Task<ProductPage> ReadProducts(string condition, string argument, bool activeOnly, int limit, CancellationToken cancellationToken)
    {
        var active = activeOnly ? " AND p.active" : "";
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT p.product_id, p.title, p.description, p.brand, p.active FROM catalog_products p
            WHERE {condition}{active} ORDER BY p.product_id LIMIT $2
            """);
        command.Parameters.Add(new() { Value = argument });
        command.Parameters.Add(new() { Value = limit });
        var products = new List<Product>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                products.Add(new Product(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetBoolean(4), []));
            }
        }
        if (products.Count == 0)
        {
            return new ProductPage([], null);
        }
        await using var skus = dataSource.CreateCommand($"SELECT {SkuColumns} FROM catalog_skus s WHERE s.product_id = ANY($1){(activeOnly ? " AND s.active" : "")} ORDER BY s.sku");
        skus.Parameters.Add(new() { Value = products.Select(p => p.ProductId).ToArray() });
        var byProduct = new Dictionary<string, List<Sku>>(StringComparer.Ordinal);
        await using (var reader = await skus.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var sku = ReadSku(reader);
                (byProduct.TryGetValue(sku.ProductId, out var list) ? list : byProduct[sku.ProductId] = []).Add(sku);
            }
        }
        var filled = products.Select(p => p with { Skus = byProduct.GetValueOrDefault(p.ProductId) ?? [] }).ToList();
        return new ProductPage(filled, filled.Count == limit ? filled[^1].ProductId : null);
    }

    /// <summary>numeric(19,4) reads back as 12.5000: show 12.50, keeping the digits of a price that really has four.</summary>
    private static decimal Cents(decimal amount) => decimal.Round(amount, 2) == amount ? decimal.Round(amount, 2) : amount;

    private static Sku ReadSku(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2),
        JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [],
        new Money(Cents(reader.GetDecimal(4)), reader.GetString(5).Trim()), reader.GetBoolean(6), reader.IsDBNull(7) ? null : reader.GetInt32(7));
}

public static class CatalogServiceCollectionExtensions
{
    /// <summary>The catalog store and its tables' migrations; needs the PostgreSQL data source (AddPostgres).</summary>
    public static IServiceCollection AddCommerceCatalog(this IServiceCollection services)
    {
        services.AddSingleton<CatalogStore>();
        services.AddPostgresMigrations(typeof(CatalogStore).Assembly, "catalog");
        return services;
    }
}
