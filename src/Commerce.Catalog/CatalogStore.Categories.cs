using System.Text.Json;
using Commerce.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Catalog;

/// <summary>The category tree (<c>catalog_categories</c>): materialized slug paths, kept on every create, rename and move.</summary>
public sealed partial class CatalogStore
{
    private const string CategoryColumns = "c.category_id, c.parent_id, c.name, c.slug, c.path, c.position, c.attributes::text, c.archived";

    /// <summary>
    /// A category shoppers see: neither it nor an ancestor is archived (archiving hides the subtree without touching it,
    /// so bringing a category back restores exactly what was under it). Archived categories are few: the scan is small.
    /// </summary>
    private const string VisibleCategory = "NOT EXISTS (SELECT 1 FROM catalog_categories a WHERE a.archived AND (c.path = a.path OR starts_with(c.path, a.path || '/')))";

    /// <summary>Tree changes take this transaction lock: two concurrent moves could each pass the cycle check and together make a loop.</summary>
    private const long TreeLock = 0x636174616c6f67; // "catalog"

    /// <summary>
    /// Creates or updates a category. A new parent or slug moves it: the paths of its whole subtree are rewritten in one
    /// statement, in the same transaction. Refused: an unknown parent, a parent inside its own subtree, a slug its new siblings hold.
    /// </summary>
    public async Task<CategoryWrite> SaveCategory(CategoryDraft draft, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockTree = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockTree.Parameters.Add(new() { Value = TreeLock });
            await lockTree.ExecuteNonQueryAsync(cancellationToken);
        }
        var oldPath = await PathOf(connection, transaction, draft.CategoryId, cancellationToken);
        string? parentPath = null;
        if (draft.ParentId is not null && (parentPath = await PathOf(connection, transaction, draft.ParentId, cancellationToken)) is null)
        {
            return Refused(CatalogRefusalKind.Unprocessable, "unknown-parent", "parentId", $"There is no category '{draft.ParentId}'.");
        }
        if (oldPath is not null && parentPath is not null && (parentPath == oldPath || parentPath.StartsWith(oldPath + "/", StringComparison.Ordinal)))
        {
            return Refused(CatalogRefusalKind.Conflict, "parent-in-own-subtree", "parentId",
                $"Category '{draft.ParentId}' is '{draft.CategoryId}' itself or inside its subtree: a category cannot move under itself.");
        }
        var newPath = parentPath + "/" + draft.Slug;
        try
        {
            if (oldPath is not null && oldPath != newPath)
            {
                await using var rewrite = new NpgsqlCommand(
                    "UPDATE catalog_categories SET path = $2 || substr(path, length($1) + 1), updated_at = now() WHERE path = $1 OR starts_with(path, $1 || '/')",
                    connection, transaction);
                rewrite.Parameters.Add(new() { Value = oldPath });
                rewrite.Parameters.Add(new() { Value = newPath });
                await rewrite.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var upsert = new NpgsqlCommand(
                """
                INSERT INTO catalog_categories (category_id, parent_id, name, slug, path, position, attributes, archived)
                VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
                ON CONFLICT (category_id) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, slug = EXCLUDED.slug,
                    position = EXCLUDED.position, attributes = EXCLUDED.attributes, archived = EXCLUDED.archived, updated_at = now()
                """, connection, transaction);
            upsert.Parameters.Add(new() { Value = draft.CategoryId });
            upsert.Parameters.Add(new() { Value = (object?)draft.ParentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            upsert.Parameters.Add(new() { Value = draft.Name });
            upsert.Parameters.Add(new() { Value = draft.Slug });
            upsert.Parameters.Add(new() { Value = newPath });
            upsert.Parameters.Add(new() { Value = draft.Position });
            upsert.Parameters.Add(new() { Value = JsonSerializer.Serialize(draft.Attributes, StoredJson) });
            upsert.Parameters.Add(new() { Value = draft.Archived });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException unique) when (unique.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Refused(CatalogRefusalKind.Conflict, "slug-taken", "slug", $"A sibling under the new parent already has the slug '{draft.Slug}'.");
        }
        var changed = oldPath is null ? [] : await ProductsUnder(connection, transaction, newPath, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new CategoryWrite(await GetCategory(draft.CategoryId, visibleOnly: false, cancellationToken), oldPath is null, null, changed);
    }

    /// <summary>Moves a category (and its subtree) under <paramref name="parentId"/> (null: to the roots) at <paramref name="position"/>.</summary>
    public async Task<CategoryWrite> MoveCategory(string categoryId, string? parentId, int position, CancellationToken cancellationToken = default) =>
        await GetCategory(categoryId, visibleOnly: false, cancellationToken) is { } category
            ? await SaveCategory(new CategoryDraft(categoryId, parentId, category.Name, category.Slug, position, category.Attributes, category.Archived), cancellationToken)
            : Refused(CatalogRefusalKind.NotFound, "unknown-category", "categoryId", $"There is no category '{categoryId}'.");

    /// <summary>Archives a category: it, its subtree and their products disappear from public reads.</summary>
    public async Task<CategoryWrite> ArchiveCategory(string categoryId, CancellationToken cancellationToken = default) =>
        await GetCategory(categoryId, visibleOnly: false, cancellationToken) is { } category
            ? await SaveCategory(new CategoryDraft(categoryId, category.ParentId, category.Name, category.Slug, category.Position, category.Attributes, Archived: true), cancellationToken)
            : Refused(CatalogRefusalKind.NotFound, "unknown-category", "categoryId", $"There is no category '{categoryId}'.");

    /// <summary>A category with its breadcrumbs; with <paramref name="visibleOnly"/>, null when it or an ancestor is archived.</summary>
    public async Task<Category?> GetCategory(string categoryId, bool visibleOnly, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {CategoryColumns} FROM catalog_categories c WHERE c.category_id = $1");
        command.Parameters.Add(new() { Value = categoryId });
        Category category;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            category = ReadCategory(reader);
        }
        // The ancestors are the path's prefixes: one indexed lookup, no walk up the parents.
        var segments = category.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var prefixes = Enumerable.Range(1, segments.Length).Select(n => "/" + string.Join('/', segments.Take(n))).ToArray();
        await using var crumbs = dataSource.CreateCommand("SELECT category_id, name, slug, archived FROM catalog_categories WHERE path = ANY($1) ORDER BY length(path)");
        crumbs.Parameters.Add(new() { Value = prefixes });
        var breadcrumbs = new List<Breadcrumb>();
        await using (var reader = await crumbs.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (visibleOnly && reader.GetBoolean(3))
                {
                    return null;
                }
                breadcrumbs.Add(new Breadcrumb(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }
        return category with { Breadcrumbs = breadcrumbs };
    }

    /// <summary>The visible tree: roots and their children, each level ordered by position (then name).</summary>
    public async Task<IReadOnlyList<CategoryNode>> GetCategoryTree(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {CategoryColumns} FROM catalog_categories c WHERE {VisibleCategory} ORDER BY c.position, c.name, c.category_id");
        var children = new Dictionary<string, List<Category>>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var category = ReadCategory(reader);
                var parent = category.ParentId ?? "";
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(category);
            }
        }
        IReadOnlyList<CategoryNode> Level(string parent) => children.GetValueOrDefault(parent)?
            .Select(c => new CategoryNode(c.CategoryId, c.Name, c.Slug, c.Path, c.Position, Level(c.CategoryId))).ToList() ?? [];
        return Level("");
    }

    /// <summary>
    /// Active products of a visible category and its visible subtree, one page at a time. Price sorts use each product's lowest
    /// active SKU price (products without one last); every sort ends on the product id, so pages neither overlap nor skip.
    /// Null when the category is not visible.
    /// </summary>
    public async Task<CategoryListing?> ListCategoryProducts(string categoryId, ProductSort sort, int page, int limit, CancellationToken cancellationToken = default)
    {
        if (await GetCategory(categoryId, visibleOnly: true, cancellationToken) is not { } category)
        {
            return null;
        }
        var order = sort switch
        {
            ProductSort.Title => "p.title, p.product_id",
            ProductSort.Price => "m.price NULLS LAST, p.product_id",
            ProductSort.PriceDescending => "m.price DESC NULLS LAST, p.product_id",
            _ => "p.created_at DESC, p.product_id",
        };
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT p.product_id, p.title, p.brand, p.category_id, m.price, m.currency, p.created_at, count(*) OVER ()
            FROM catalog_products p
            JOIN catalog_categories c ON c.category_id = p.category_id
            LEFT JOIN LATERAL (SELECT s.price, s.currency FROM catalog_skus s WHERE s.product_id = p.product_id AND s.active ORDER BY s.price LIMIT 1) m ON true
            WHERE p.active AND (c.path = $1 OR starts_with(c.path, $1 || '/')) AND {VisibleCategory}
            ORDER BY {order} LIMIT $2 OFFSET $3
            """);
        command.Parameters.Add(new() { Value = category.Path });
        command.Parameters.Add(new() { Value = limit });
        command.Parameters.Add(new() { Value = (long)(page - 1) * limit });
        var products = new List<ProductSummary>();
        long total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var price = reader.IsDBNull(4) ? null : new Money(Cents(reader.GetDecimal(4)), reader.GetString(5).Trim());
                products.Add(new ProductSummary(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                    price, reader.GetFieldValue<DateTimeOffset>(6)));
                total = reader.GetInt64(7);
            }
        }
        if (products.Count == 0 && page > 1)
        {
            total = await CountCategoryProducts(category.Path, cancellationToken);
        }
        return new CategoryListing(products, page, limit, total, (long)page * limit < total ? page + 1 : null);
    }

    /// <summary>A page past the end has no rows to carry the window count.</summary>
    private async Task<long> CountCategoryProducts(string path, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT count(*) FROM catalog_products p JOIN catalog_categories c ON c.category_id = p.category_id WHERE p.active AND (c.path = $1 OR starts_with(c.path, $1 || '/')) AND {VisibleCategory}");
        command.Parameters.Add(new() { Value = path });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<string?> PathOf(NpgsqlConnection connection, NpgsqlTransaction transaction, string categoryId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT path FROM catalog_categories WHERE category_id = $1", connection, transaction);
        command.Parameters.Add(new() { Value = categoryId });
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>The products placed in the subtree at <paramref name="path"/>.</summary>
    private static async Task<IReadOnlyList<string>> ProductsUnder(NpgsqlConnection connection, NpgsqlTransaction transaction, string path, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT p.product_id FROM catalog_products p JOIN catalog_categories c ON c.category_id = p.category_id WHERE c.path = $1 OR starts_with(c.path, $1 || '/') ORDER BY 1",
            connection, transaction);
        command.Parameters.Add(new() { Value = path });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    private static CategoryWrite Refused(CatalogRefusalKind kind, string code, string field, string message) => new(null, false, new CatalogRefusal(kind, code, field, message), []);

    private static Category ReadCategory(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5),
        JsonSerializer.Deserialize<List<AttributeDefinition>>(reader.GetString(6), StoredJson) ?? [], reader.GetBoolean(7), []);
}
