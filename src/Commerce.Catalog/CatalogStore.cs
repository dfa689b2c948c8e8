using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Grains;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Catalog;

/// <summary>
/// Products and SKUs in PostgreSQL (<c>catalog_products</c>, <c>catalog_skus</c>), the category tree, and the price history
/// every price change leaves. Every write names the products it changed (in its draft or its answer), for whoever must follow them.
/// </summary>
public sealed partial class CatalogStore(NpgsqlDataSource dataSource)
{
    private const string SkuColumns = "s.sku, s.product_id, s.title, s.options::text, s.price, s.currency, s.active, s.purchase_limit, s.images::text";

    private const string ProductColumns = "p.product_id, p.title, p.description, p.brand, p.active, p.category_id, p.attributes::text, p.variant_options::text";

    /// <summary>A product shoppers see: active, and in no category or a visible one.</summary>
    private const string VisibleProduct = $"p.active AND (p.category_id IS NULL OR EXISTS (SELECT 1 FROM catalog_categories c WHERE c.category_id = p.category_id AND {VisibleCategory}))";

    /// <summary>How JSONB columns are written and read: camelCase names and enum values, as the schema's comments show them.</summary>
    private static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    /// <summary>Creates or updates product <see cref="ProductDraft.ProductId"/>; true when it was created, null when its category does not exist.</summary>
    public async Task<bool?> UpsertProduct(ProductDraft product, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO catalog_products (product_id, title, description, brand, active, category_id, attributes, variant_options)
            SELECT $1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb WHERE $6 IS NULL OR EXISTS (SELECT 1 FROM catalog_categories WHERE category_id = $6)
            ON CONFLICT (product_id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, brand = EXCLUDED.brand,
                active = EXCLUDED.active, category_id = EXCLUDED.category_id, attributes = EXCLUDED.attributes,
                variant_options = EXCLUDED.variant_options, updated_at = now()
            RETURNING (xmax = 0)
            """);
        command.Parameters.Add(new() { Value = product.ProductId });
        command.Parameters.Add(new() { Value = product.Title });
        command.Parameters.Add(new() { Value = product.Description });
        command.Parameters.Add(new() { Value = (object?)product.Brand ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = product.Active });
        command.Parameters.Add(new() { Value = (object?)product.CategoryId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(product.Attributes ?? new Dictionary<string, JsonElement>(), StoredJson) });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(product.VariantOptions ?? new Dictionary<string, IReadOnlyList<string>>(), StoredJson) });
        return (bool?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Archives a product (active false): it leaves public reads, its SKUs stay for carts and orders to name. False when there is none.</summary>
    public async Task<bool> ArchiveProduct(string productId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("UPDATE catalog_products SET active = false, updated_at = now() WHERE product_id = $1");
        command.Parameters.Add(new() { Value = productId });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Creates or updates a SKU of product <see cref="SkuDraft.ProductId"/>, the one product it ever belongs to: refused when that
    /// product does not exist or the SKU is another's. A new or changed price is recorded in the price history as set by
    /// <paramref name="changedBy"/>, in the same transaction.
    /// </summary>
    public async Task<SkuWrite> UpsertSku(SkuDraft sku, string changedBy, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockProduct(connection, transaction, sku.ProductId, cancellationToken) is null)
        {
            return new SkuWrite(false, new CatalogRefusal(CatalogRefusalKind.Unprocessable, "unknown-product", "productId", $"There is no product '{sku.ProductId}': create it first."));
        }
        var existing = (await LockSkus(connection, transaction, [sku.Code], cancellationToken)).GetValueOrDefault(sku.Code);
        if (existing is not null && existing.ProductId != sku.ProductId)
        {
            return new SkuWrite(false, new CatalogRefusal(CatalogRefusalKind.Conflict, "sku-of-another-product", "productId",
                $"SKU '{sku.Code}' belongs to product '{existing.ProductId}'; a SKU never moves to another product."));
        }
        await WriteSku(connection, transaction, sku with { Images = sku.Images ?? [] }, existing, changedBy, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SkuWrite(existing is null, null);
    }

    /// <summary>
    /// Builds the product's variant SKUs, one per combination of its variant options (in name order: <c>PREFIX-black-S</c>), priced by the
    /// plan. Idempotent: a SKU the plan would not change is not written; an existing one keeps its activity and purchase limit (and its
    /// stock, which inventory holds), and its images unless the plan gives some; the product's other active SKUs are deactivated.
    /// Price changes enter the history as set by <paramref name="changedBy"/>.
    /// </summary>
    public async Task<VariantsWrite> BuildVariants(string productId, VariantPlan plan, string changedBy, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockProduct(connection, transaction, productId, cancellationToken) is not { } product)
        {
            return VariantsRefused(CatalogRefusalKind.NotFound, "unknown-product", "productId", $"There is no product '{productId}'.");
        }
        var planned = Variants.Plan(product, plan);
        if (planned.Refusal is { } refusal)
        {
            return new VariantsWrite([], 0, 0, 0, refusal);
        }
        var existing = await LockSkus(connection, transaction, planned.Skus.Select(s => s.Code).ToList(), cancellationToken);
        if (existing.Values.FirstOrDefault(s => s.ProductId != productId) is { } taken)
        {
            return VariantsRefused(CatalogRefusalKind.Conflict, "sku-taken", "skuPrefix", $"SKU '{taken.Code}' belongs to product '{taken.ProductId}': choose another prefix.");
        }
        int created = 0, updated = 0;
        foreach (var draft in planned.Skus)
        {
            var old = existing.GetValueOrDefault(draft.Code);
            var sku = old is null ? draft with { Images = draft.Images ?? [] } : draft with { Active = old.Active, PurchaseLimit = old.PurchaseLimit, Images = draft.Images ?? old.Images };
            if (!await WriteSku(connection, transaction, sku, old, changedBy, cancellationToken))
            {
                continue;
            }
            if (old is null)
            {
                created++;
            }
            else
            {
                updated++;
            }
        }
        var codes = planned.Skus.Select(s => s.Code).ToHashSet(StringComparer.Ordinal);
        var deactivated = await DeactivateOtherSkus(connection, transaction, productId, codes, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var skus = (await GetProduct(productId, activeOnly: false, cancellationToken))!.Skus.Where(s => codes.Contains(s.Code)).ToList();
        return new VariantsWrite(skus, created, updated, deactivated, null);
    }

    /// <summary>The prices SKU <paramref name="sku"/> had, newest first; null when there is no such SKU.</summary>
    public async Task<IReadOnlyList<PriceChange>?> GetPriceHistory(string sku, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT h.price, h.currency, h.changed_by, h.changed_at FROM catalog_skus s
            LEFT JOIN LATERAL (SELECT h.price, h.currency, h.changed_by, h.changed_at FROM catalog_price_history h WHERE h.sku = s.sku ORDER BY h.changed_at DESC, h.history_id DESC LIMIT $2) h ON true
            WHERE s.sku = $1
            """);
        command.Parameters.Add(new() { Value = sku });
        command.Parameters.Add(new() { Value = limit });
        var changes = new List<PriceChange>();
        var found = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found = true;
            if (!reader.IsDBNull(0))
            {
                changes.Add(new PriceChange(new Money(Cents(reader.GetDecimal(0)), reader.GetString(1).Trim()), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }
        return found ? changes : null;
    }

    /// <summary>The SKUs among <paramref name="codes"/> that exist, by code. A SKU of a product shoppers do not see (inactive, or in an archived category) counts as inactive: carts do not sell it.</summary>
    public async Task<IReadOnlyDictionary<string, Sku>> GetSkus(IReadOnlyCollection<string> codes, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, Sku>(StringComparer.Ordinal);
        if (codes.Count == 0)
        {
            return found;
        }
        await using var command = dataSource.CreateCommand(
            $"SELECT {SkuColumns}, {VisibleProduct} FROM catalog_skus s JOIN catalog_products p USING (product_id) WHERE s.sku = ANY($1)");
        command.Parameters.Add(new() { Value = codes.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var sku = ReadSku(reader);
            found[sku.Code] = sku with { Active = sku.Active && reader.GetBoolean(9) };
        }
        return found;
    }

    /// <summary>
    /// A product with its SKUs; with <paramref name="activeOnly"/>, null for a product shoppers do not see (inactive, or in an archived
    /// category), and without inactive SKUs.
    /// </summary>
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
        var visible = activeOnly ? $" AND {VisibleProduct}" : "";
        await using var command = dataSource.CreateCommand($"SELECT {ProductColumns} FROM catalog_products p WHERE {condition}{visible} ORDER BY p.product_id LIMIT $2");
        command.Parameters.Add(new() { Value = argument });
        command.Parameters.Add(new() { Value = limit });
        var products = new List<Product>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                products.Add(ReadProduct(reader));
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

    /// <summary>Locks the product row for this transaction (SKU writes of one product take turns) and reads it; null when there is none.</summary>
    private static async Task<Product?> LockProduct(NpgsqlConnection connection, NpgsqlTransaction transaction, string productId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {ProductColumns} FROM catalog_products p WHERE p.product_id = $1 FOR NO KEY UPDATE", connection, transaction);
        command.Parameters.Add(new() { Value = productId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadProduct(reader) : null;
    }

    private static async Task<Dictionary<string, Sku>> LockSkus(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<string> codes, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {SkuColumns} FROM catalog_skus s WHERE s.sku = ANY($1) FOR UPDATE", connection, transaction);
        command.Parameters.Add(new() { Value = codes.ToArray() });
        var found = new Dictionary<string, Sku>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var sku = ReadSku(reader);
            found[sku.Code] = sku;
        }
        return found;
    }

    /// <summary>
    /// After a variant build: the product's active SKUs the build did not make (combinations no longer in its options, codes of an
    /// earlier prefix) become inactive, so that shoppers cannot buy a combination the product no longer has. Their price, images and
    /// stock (inventory's) are left as they are: a PUT with active true brings one back. Answers how many it deactivated.
    /// </summary>
    private static async Task<int> DeactivateOtherSkus(NpgsqlConnection connection, NpgsqlTransaction transaction, string productId, IReadOnlyCollection<string> built, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE catalog_skus SET active = false, updated_at = now() WHERE product_id = $1 AND active AND sku <> ALL($2)", connection, transaction);
        command.Parameters.Add(new() { Value = productId });
        command.Parameters.Add(new() { Value = built.ToArray() });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="sku"/> (its images set) unless it equals <paramref name="old"/>, the locked row; a new or changed price
    /// adds a price-history row in the same transaction. True when it wrote.
    /// </summary>
    private static async Task<bool> WriteSku(NpgsqlConnection connection, NpgsqlTransaction transaction, SkuDraft sku, Sku? old, string changedBy, CancellationToken cancellationToken)
    {
        var price = new Money(Cents(sku.Price.Amount), sku.Price.Currency);
        var images = sku.Images ?? [];
        if (old is not null && old.Title == sku.Title && old.Price == price && old.Active == sku.Active && old.PurchaseLimit == sku.PurchaseLimit &&
            old.Options.Count == sku.Options.Count && !old.Options.Except(sku.Options).Any() && old.Images.SequenceEqual(images))
        {
            return false;
        }
        await using var batch = new NpgsqlBatch(connection, transaction);
        var upsert = new NpgsqlBatchCommand(
            """
            INSERT INTO catalog_skus (sku, product_id, title, options, price, currency, active, purchase_limit, images)
            VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::jsonb)
            ON CONFLICT (sku) DO UPDATE SET title = EXCLUDED.title, options = EXCLUDED.options,
                price = EXCLUDED.price, currency = EXCLUDED.currency, active = EXCLUDED.active,
                purchase_limit = EXCLUDED.purchase_limit, images = EXCLUDED.images, updated_at = now()
            """);
        upsert.Parameters.Add(new() { Value = sku.Code });
        upsert.Parameters.Add(new() { Value = sku.ProductId });
        upsert.Parameters.Add(new() { Value = sku.Title });
        upsert.Parameters.Add(new() { Value = JsonSerializer.Serialize(sku.Options) });
        upsert.Parameters.Add(new() { Value = sku.Price.Amount });
        upsert.Parameters.Add(new() { Value = sku.Price.Currency });
        upsert.Parameters.Add(new() { Value = sku.Active });
        upsert.Parameters.Add(new() { Value = (object?)sku.PurchaseLimit ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        upsert.Parameters.Add(new() { Value = JsonSerializer.Serialize(images, StoredJson) });
        batch.BatchCommands.Add(upsert);
        if (old?.Price != price)
        {
            var history = new NpgsqlBatchCommand("INSERT INTO catalog_price_history (sku, price, currency, changed_by) VALUES ($1, $2, $3, $4)");
            history.Parameters.Add(new() { Value = sku.Code });
            history.Parameters.Add(new() { Value = sku.Price.Amount });
            history.Parameters.Add(new() { Value = sku.Price.Currency });
            history.Parameters.Add(new() { Value = changedBy });
            batch.BatchCommands.Add(history);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    private static VariantsWrite VariantsRefused(CatalogRefusalKind kind, string code, string field, string message) => new([], 0, 0, 0, new CatalogRefusal(kind, code, field, message));

    /// <summary>numeric(19,4) reads back as 12.5000: show 12.50, keeping the digits of a price that really has four.</summary>
    private static decimal Cents(decimal amount) => decimal.Round(amount, 2) == amount ? decimal.Round(amount, 2) : amount;

    private static Product ReadProduct(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetBoolean(4), [],
        reader.IsDBNull(5) ? null : reader.GetString(5),
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(reader.GetString(6)) ?? [],
        JsonSerializer.Deserialize<Dictionary<string, IReadOnlyList<string>>>(reader.GetString(7)) ?? []);

    private static Sku ReadSku(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2),
        JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [],
        new Money(Cents(reader.GetDecimal(4)), reader.GetString(5).Trim()), reader.GetBoolean(6), reader.IsDBNull(7) ? null : reader.GetInt32(7),
        JsonSerializer.Deserialize<List<SkuImage>>(reader.GetString(8), StoredJson) ?? []);
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
