using System.Globalization;
using System.Text.Json;
using Bogus;
using Commerce.Grains;
using Commerce.Persistence;
using Npgsql;

namespace Commerce.Catalog.Generation;

public sealed record GeneratedCategory(string CategoryId, string? ParentId, string Name, string Slug, string Path);

/// <summary>A kind of product: its category's name ("Chairs") and the noun its products' titles end in ("Chair").</summary>
public sealed record Kind(string Category, string Noun);

/// <summary>A top-level category and the kinds of product under it.</summary>
public sealed record Department(string Name, IReadOnlyList<Kind> Kinds);

public sealed record GeneratedProduct(string ProductId, string Title, string Description, string Brand, string CategoryId, Dictionary<string, string> Attributes, DateTime CreatedAt, decimal BasePrice, string Colour);

/// <summary>
/// A realistic catalog from Bogus, the same for the same seed: a two-level category tree (departments and their
/// product kinds, about a hundred unless fewer are asked for), a few hundred brands, products with descriptions and attributes (material,
/// style), and SKUs by size and colour. Ids come from the seed and the position, so writing it again updates the
/// same rows. Used by <c>commerce catalog seed</c> and by the search benchmark.
/// </summary>
public sealed class CatalogGenerator
{
    private static readonly string[] Sizes = ["S", "M", "L", "XL", "XS", "XXL"];

    private readonly int _skusPerProduct;

    /// <param name="departments">Top-level categories (at most 12: Bogus knows few more).</param>
    /// <param name="kindsPerDepartment">Product kinds (leaf categories) under each department.</param>
    public CatalogGenerator(int seed, int products, int skusPerProduct, int departments = 12, int kindsPerDepartment = 8)
        : this(seed, products, skusPerProduct, faker => Enumerable.Range(0, 40).Select(_ => faker.Commerce.Department()).Distinct().Take(departments)
            .Select(department => new Department(department, [.. Enumerable.Range(0, 40).Select(_ => faker.Commerce.Product()).Distinct().Take(kindsPerDepartment)
                .Select(kind => new Kind(kind, kind))]))
            .ToList())
    {
    }

    /// <summary>A catalog over a tree of one's choosing (Bogus pairs departments and kinds at random, "Automotive" over "Pizza").</summary>
    public CatalogGenerator(int seed, int products, int skusPerProduct, IReadOnlyList<Department> tree)
        : this(seed, products, skusPerProduct, _ => tree)
    {
    }

    private CatalogGenerator(int seed, int products, int skusPerProduct, Func<Faker, IReadOnlyList<Department>> tree)
    {
        _skusPerProduct = skusPerProduct;
        var faker = new Faker("en") { Random = new Randomizer(seed) };
        var categories = new List<GeneratedCategory>();
        var nouns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var department in tree(faker))
        {
            var slug = Slug(department.Name);
            categories.Add(new GeneratedCategory(slug, null, department.Name, slug, "/" + slug));
            foreach (var kind in department.Kinds)
            {
                var kindSlug = Slug(kind.Category);
                categories.Add(new GeneratedCategory($"{slug}-{kindSlug}", slug, kind.Category, kindSlug, $"/{slug}/{kindSlug}"));
                nouns[$"{slug}-{kindSlug}"] = kind.Noun;
            }
        }
        Categories = categories;
        var leaves = categories.Where(c => c.ParentId is not null).ToList();
        var brands = Enumerable.Range(0, 300).Select(_ => faker.Company.CompanyName()).Distinct().ToList();
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Products = Enumerable.Range(1, products).Select(p =>
        {
            var category = faker.PickRandom(leaves);
            var material = faker.Commerce.ProductMaterial();
            var adjective = faker.Commerce.ProductAdjective();
            // The title names the category's kind of product, as real titles do ("Rustic Granite Chair" under Chairs).
            return new GeneratedProduct($"seed-{seed}-{p:D6}", $"{adjective} {material} {nouns[category.CategoryId]}",
                faker.Commerce.ProductDescription() + " " + faker.Lorem.Sentence(), faker.PickRandom(brands), category.CategoryId,
                new Dictionary<string, string> { ["material"] = material, ["style"] = adjective }, start.AddMinutes(p * 5),
                decimal.Parse(faker.Commerce.Price(5, 800, 2), CultureInfo.InvariantCulture), faker.Commerce.Color());
        }).ToList();
    }

    public IReadOnlyList<GeneratedCategory> Categories { get; }

    public IReadOnlyList<GeneratedProduct> Products { get; }

    /// <summary>A product's SKUs, one colour in several sizes, prices a little higher by size.</summary>
    public IEnumerable<SkuDraft> Skus(GeneratedProduct product) =>
        Enumerable.Range(0, _skusPerProduct).Select(s => new SkuDraft($"{product.ProductId}-{s + 1}", product.ProductId, $"{product.Title}, {product.Colour}, {Sizes[s % Sizes.Length]}",
            new Dictionary<string, string> { ["size"] = Sizes[s % Sizes.Length], ["colour"] = product.Colour }, new Money(product.BasePrice + s * 2m, "EUR"), true, null));

    /// <summary>Upserts the whole catalog set-based (chunks of a few thousand rows per statement); returns the SKUs written.</summary>
    public async Task<List<SkuDraft>> WriteAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await PostgresMigrator.MigrateAsync(dataSource, typeof(CatalogStore).Assembly, "catalog", cancellationToken);
        await Execute(dataSource,
            """
            INSERT INTO catalog_categories (category_id, parent_id, name, slug, path) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
            ON CONFLICT (category_id) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, slug = EXCLUDED.slug, path = EXCLUDED.path, updated_at = now()
            """,
            [Categories.Select(c => c.CategoryId).ToArray(), Categories.Select(c => c.ParentId).ToArray(), Categories.Select(c => c.Name).ToArray(),
                Categories.Select(c => c.Slug).ToArray(), Categories.Select(c => c.Path).ToArray()], cancellationToken);
        var skus = new List<SkuDraft>();
        foreach (var chunk in Products.Chunk(5_000))
        {
            await Execute(dataSource,
                """
                INSERT INTO catalog_products (product_id, title, description, brand, category_id, attributes, created_at)
                SELECT p.id, p.title, p.description, p.brand, p.category, p.attributes::jsonb, p.created
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) p(id, title, description, brand, category, attributes, created)
                ON CONFLICT (product_id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, brand = EXCLUDED.brand,
                    category_id = EXCLUDED.category_id, attributes = EXCLUDED.attributes, created_at = EXCLUDED.created_at, active = true, updated_at = now()
                """,
                [chunk.Select(p => p.ProductId).ToArray(), chunk.Select(p => p.Title).ToArray(), chunk.Select(p => p.Description).ToArray(), chunk.Select(p => p.Brand).ToArray(),
                    chunk.Select(p => p.CategoryId).ToArray(), chunk.Select(p => JsonSerializer.Serialize(p.Attributes)).ToArray(), chunk.Select(p => p.CreatedAt).ToArray()], cancellationToken);
            var chunkSkus = chunk.SelectMany(Skus).ToList();
            await Execute(dataSource,
                """
                INSERT INTO catalog_skus (sku, product_id, title, options, price, currency)
                SELECT s.sku, s.product, s.title, s.options::jsonb, s.price, s.currency FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::text[]) s(sku, product, title, options, price, currency)
                ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, title = EXCLUDED.title, options = EXCLUDED.options, price = EXCLUDED.price,
                    currency = EXCLUDED.currency, active = true, updated_at = now()
                """,
                [chunkSkus.Select(s => s.Code).ToArray(), chunkSkus.Select(s => s.ProductId).ToArray(), chunkSkus.Select(s => s.Title).ToArray(),
                    chunkSkus.Select(s => JsonSerializer.Serialize(s.Options)).ToArray(), chunkSkus.Select(s => s.Price.Amount).ToArray(), chunkSkus.Select(s => s.Price.Currency).ToArray()], cancellationToken);
            skus.AddRange(chunkSkus);
        }
        return skus;
    }

    private static async Task Execute(NpgsqlDataSource dataSource, string sql, object[] arrays, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 300;
        foreach (var array in arrays)
        {
            command.Parameters.Add(new() { Value = array });
        }
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Slug(string name) => string.Concat(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')).Trim('-');
}
