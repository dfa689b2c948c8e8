using System.Globalization;
using System.Text;
using System.Text.Json;
using Commerce.Grains;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Catalog.Search;

/// <summary>
/// Search in PostgreSQL (migration 0005_search): full-text search over weighted documents in search_products,
/// facets counted over the matches in the same statement, typo correction against search_words, suggestions from
/// search_suggestions. Writes take one transaction-scoped advisory lock, so that the suggestion counts and stock
/// flags recomputed from the documents never race another writer. Prices are the SKUs' in the store's currency.
/// </summary>
public sealed class PostgresSearchIndex(NpgsqlDataSource dataSource, IOptions<SearchPricingOptions> pricing) : ISearchIndex, ISearchIndexWriter
{
    /// <summary>ts_rank's weights of D, C, B, A (description, attributes and options, brand and category, title).</summary>
    private const string Weights = "'{0.1, 0.2, 0.4, 1.0}'";

    /// <summary>An out-of-stock product ranks as if it matched half as well.</summary>
    private const string OutOfStockFactor = "0.5";

    /// <summary>Highlights are marked with STX/ETX, which catalog text does not use, then HTML-escaped and turned into &lt;mark&gt;.</summary>
    private const char MarkStart = '\u0002', MarkEnd = '\u0003';

    private const int FacetValues = 20;

    private const long WriterLock = 0x5EA2C4;

    public async Task IndexProductsAsync(IReadOnlyCollection<string> productIds, CancellationToken cancellationToken)
    {
        if (productIds.Count == 0)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockWriters(connection, cancellationToken);
        string[] titles, brands, categories;
        await using (var rebuild = new NpgsqlCommand(RebuildDocuments, connection))
        {
            rebuild.Parameters.Add(new() { Value = productIds.Distinct(StringComparer.Ordinal).ToArray() });
            rebuild.Parameters.Add(new() { Value = pricing.Value.Currency });
            await using var reader = await rebuild.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (titles, brands, categories) = (reader.GetFieldValue<string[]>(0), reader.GetFieldValue<string[]>(1), reader.GetFieldValue<string[]>(2));
        }
        await using (var recount = new NpgsqlBatch(connection))
        {
            foreach (var sql in new[] { RecountSuggestions, RemovePrefixes, AddPrefixes })
            {
                recount.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = titles }, new() { Value = brands }, new() { Value = categories } } });
            }
            await recount.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task SetStockAsync(IReadOnlyCollection<SkuStock> levels, CancellationToken cancellationToken)
    {
        if (levels.Count == 0)
        {
            return;
        }
        // The last level of a SKU reported twice in one call is the one that counts.
        var latest = levels.GroupBy(l => l.Sku, StringComparer.Ordinal).Select(g => g.Last()).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockWriters(connection, cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    """
                    INSERT INTO search_stock (sku, available) SELECT * FROM unnest($1::text[], $2::int[])
                    ON CONFLICT (sku) DO UPDATE SET available = EXCLUDED.available
                    """) { Parameters = { new() { Value = latest.Select(l => l.Sku).ToArray() }, new() { Value = latest.Select(l => l.Available).ToArray() } } },
                new NpgsqlBatchCommand(
                    $"""
                    UPDATE search_products p SET available = a.available, in_stock = a.available > 0
                    FROM ({Availability} s.product_id IN (SELECT product_id FROM catalog_skus WHERE sku = ANY($1)) GROUP BY s.product_id) a
                    WHERE p.product_id = a.product_id
                    """) { Parameters = { new() { Value = latest.Select(l => l.Sku).ToArray() } } },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task LockWriters(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({WriterLock})", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Units available per product over its active SKUs (a negative level counts as none); callers add WHERE and GROUP BY.</summary>
    private const string Availability =
        "SELECT s.product_id, coalesce(sum(greatest(st.available, 0)), 0)::int AS available FROM catalog_skus s LEFT JOIN search_stock st USING (sku) WHERE s.active AND";

    /// <summary>
    /// Rebuilds the documents of $1 in one statement: inactive or missing products leave the index, the others are
    /// upserted with their category path, facets, prices in the store's currency $2, stock and weighted document,
    /// their words join the vocabulary and words no product has any more leave it. Answers the folded titles, brands and the category ids before and after, whose suggestions to recount.
    /// </summary>
    private const string RebuildDocuments =
        $$"""
        WITH wanted AS (SELECT unnest($1::text[]) AS product_id),
        old AS (SELECT s.title, s.brand, s.category_ids, s.words FROM search_products s JOIN wanted USING (product_id)),
        gone AS (
            DELETE FROM search_products s USING wanted w WHERE s.product_id = w.product_id
                AND NOT EXISTS (SELECT 1 FROM catalog_products p WHERE p.product_id = w.product_id AND p.active)),
        trees AS (
            SELECT c.category_id, c.name, array_agg(a.category_id ORDER BY a.path) AS ids, string_agg(a.name, ' ' ORDER BY a.path) AS names
            FROM catalog_categories c JOIN catalog_categories a ON c.path = a.path OR starts_with(c.path, a.path || '/')
            WHERE c.category_id IN (SELECT p.category_id FROM catalog_products p JOIN wanted USING (product_id))
            GROUP BY c.category_id, c.name),
        docs AS (
            SELECT p.product_id, p.title, p.description, p.brand, p.category_id, t.name AS category_name, coalesce(t.ids, '{}') AS category_ids,
                coalesce(t.names, '') AS category_names, attributes.facets || options.facets AS facets, attributes.words || ' ' || options.words AS values,
                skus.min_price, skus.max_price, skus.currency, coalesce(stock.available, 0) AS available, p.created_at
            FROM catalog_products p JOIN wanted USING (product_id)
            LEFT JOIN trees t ON t.category_id = p.category_id
            CROSS JOIN LATERAL (
                SELECT coalesce(array_agg(DISTINCT a.key || '=' || (a.value #>> '{}')), '{}') AS facets, coalesce(string_agg(a.value #>> '{}', ' '), '') AS words
                FROM jsonb_each(p.attributes) a WHERE jsonb_typeof(a.value) IN ('string', 'number', 'boolean')) attributes
            CROSS JOIN LATERAL (
                SELECT coalesce(array_agg(DISTINCT o.key || '=' || o.value), '{}') AS facets, coalesce(string_agg(DISTINCT o.value, ' '), '') AS words
                FROM catalog_skus s, jsonb_each_text(s.options) o WHERE s.product_id = p.product_id AND s.active) options
            CROSS JOIN LATERAL (
                SELECT min(s.price) AS min_price, max(s.price) AS max_price, min(s.currency) AS currency
                FROM catalog_skus s WHERE s.product_id = p.product_id AND s.active AND s.currency = $2) skus
            LEFT JOIN LATERAL ({{Availability}} s.product_id = p.product_id GROUP BY s.product_id) stock ON true
            WHERE p.active),
        upserted AS (
            INSERT INTO search_products (product_id, title, description, brand, category_id, category_name, category_ids, facets,
                min_price, max_price, currency, available, in_stock, created_at, words, document)
            SELECT d.product_id, d.title, d.description, d.brand, d.category_id, d.category_name, d.category_ids, d.facets,
                d.min_price, d.max_price, d.currency, d.available, d.available > 0, d.created_at,
                ARRAY(SELECT DISTINCT w FROM regexp_split_to_table(search_fold(concat_ws(' ', d.title, d.brand, d.category_names, d.values)), '[^[:alnum:]]+') w
                    WHERE length(w) >= 2),
                setweight(to_tsvector('commerce_search', d.title), 'A')
                    || setweight(to_tsvector('commerce_search', concat_ws(' ', d.brand, d.category_names)), 'B')
                    || setweight(to_tsvector('commerce_search', d.values), 'C')
                    || setweight(to_tsvector('commerce_search', d.description), 'D')
            FROM docs d
            ON CONFLICT (product_id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, brand = EXCLUDED.brand,
                category_id = EXCLUDED.category_id, category_name = EXCLUDED.category_name, category_ids = EXCLUDED.category_ids,
                facets = EXCLUDED.facets, min_price = EXCLUDED.min_price, max_price = EXCLUDED.max_price, currency = EXCLUDED.currency,
                available = EXCLUDED.available, in_stock = EXCLUDED.in_stock, created_at = EXCLUDED.created_at,
                words = EXCLUDED.words, document = EXCLUDED.document, indexed_at = now()
            RETURNING title, brand, category_ids, words),
        vocabulary AS (
            INSERT INTO search_words (word) SELECT DISTINCT unnest(words) FROM upserted
            ON CONFLICT DO NOTHING),
        -- Words the rebuilt products had and have no more, to be dropped unless another product still has them (this
        -- statement sees the other products' rows as they were, and the rebuilt ones' new words in upserted).
        dropped AS MATERIALIZED (SELECT unnest(words) AS word FROM old EXCEPT SELECT unnest(words) FROM upserted),
        pruned AS (
            DELETE FROM search_words v USING dropped d WHERE v.word = d.word
                AND NOT EXISTS (SELECT FROM search_products s WHERE s.words @> ARRAY[d.word] AND s.product_id NOT IN (SELECT product_id FROM wanted))),
        touched AS (SELECT title, brand, category_ids FROM old UNION ALL SELECT title, brand, category_ids FROM upserted)
        SELECT ARRAY(SELECT DISTINCT search_fold(title) FROM touched),
            ARRAY(SELECT DISTINCT search_fold(brand) FROM touched WHERE brand IS NOT NULL),
            ARRAY(SELECT DISTINCT c FROM touched, unnest(category_ids) c)
        """;

    /// <summary>Recounts the suggestions of the titles $1, brands $2 and categories $3 from the documents; a count of zero removes one.</summary>
    private const string RecountSuggestions =
        """
        WITH counted AS (
            SELECT 'product' AS kind, search_fold(title) AS key, min(title) AS label, count(*)::int AS products
            FROM search_products WHERE search_fold(title) = ANY($1) GROUP BY 2
            UNION ALL
            SELECT 'brand', search_fold(brand), min(brand), count(*)::int FROM search_products WHERE search_fold(brand) = ANY($2) GROUP BY 2
            UNION ALL
            SELECT 'category', c.category_id, c.name, (SELECT count(*)::int FROM search_products s WHERE s.category_ids @> ARRAY[c.category_id])
            FROM catalog_categories c WHERE c.category_id = ANY($3)),
        removed AS (
            DELETE FROM search_suggestions g
            WHERE ((g.kind = 'product' AND g.key = ANY($1)) OR (g.kind = 'brand' AND g.key = ANY($2)) OR (g.kind = 'category' AND g.key = ANY($3)))
                AND NOT EXISTS (SELECT 1 FROM counted c WHERE c.kind = g.kind AND c.key = g.key AND c.products > 0))
        INSERT INTO search_suggestions (kind, key, label, products) SELECT kind, key, label, products FROM counted WHERE products > 0
        ON CONFLICT (kind, key) DO UPDATE SET label = EXCLUDED.label, products = EXCLUDED.products
        """;

    /// <summary>The suggestions of the titles $1, brands $2 and categories $3, as keys of search_suggestion_prefixes.</summary>
    private const string Touched =
        "SELECT 'product' AS kind, unnest($1::text[]) AS key UNION ALL SELECT 'brand', unnest($2::text[]) UNION ALL SELECT 'category', unnest($3::text[])";

    private const string RemovePrefixes = $"DELETE FROM search_suggestion_prefixes p USING ({Touched}) t WHERE p.kind = t.kind AND p.key = t.key";

    /// <summary>Lists the recounted suggestions under each start of their folded label and of every word in it, up to <see cref="PrefixLength"/> characters.</summary>
    private static readonly string AddPrefixes =
        $$"""
        INSERT INTO search_suggestion_prefixes (prefix, kind, key, at_start, products, label)
        SELECT substr(g.folded, w.start, n), g.kind, g.key, bool_or(w.start = 1), min(g.products), min(g.label)
        FROM search_suggestions g JOIN ({{Touched}}) t USING (kind, key)
        CROSS JOIN LATERAL (SELECT 1 AS start UNION ALL SELECT i + 1 FROM generate_series(1, length(g.folded) - 1) i WHERE substr(g.folded, i, 1) = ' ') w
        CROSS JOIN LATERAL generate_series(1, least({{PrefixLength}}, length(g.folded) - w.start + 1)) n
        GROUP BY 1, 2, 3
        """;

    /// <summary>The longest prefix search_suggestion_prefixes lists (migration 0008).</summary>
    private const int PrefixLength = 16;

    public async Task<SearchResults> SearchAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        var (matched, results) = await Search(query, query.Text, cancellationToken);
        if (matched || await Correct(query.Text, cancellationToken) is not { } corrected)
        {
            return results;
        }
        var (_, again) = await Search(query, corrected, cancellationToken);
        return again with { DidYouMean = corrected };
    }

    /// <summary>
    /// The query with each word that is not in the vocabulary replaced by its nearest word there: among the eight
    /// nearest by trigram distance, the one fewest edits away (two swapped letters count as one), at most one edit for
    /// words of up to four letters and two for longer ones. Null when no word changed. Stop words and words under three letters stay as typed.
    /// </summary>
    private async Task<string?> Correct(string text, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT coalesce((
                SELECT n.word FROM (
                    -- Two letters swapped are one slip, not two edits: same letters, edit distance two.
                    SELECT v.word, levenshtein(v.word, i.word) - CASE WHEN levenshtein(v.word, i.word) = 2 AND array(SELECT unnest(string_to_array(v.word, NULL)) ORDER BY 1) = array(SELECT unnest(string_to_array(i.word, NULL)) ORDER BY 1) THEN 1 ELSE 0 END AS edits,
                        v.word <-> i.word AS distance
                    FROM search_words v ORDER BY v.word <-> i.word LIMIT 8) n
                WHERE length(i.word) >= 3 AND numnode(plainto_tsquery('commerce_search', i.word)) > 0
                    AND n.edits <= CASE WHEN length(i.word) <= 4 THEN 1 ELSE 2 END
                ORDER BY n.edits, n.distance, n.word LIMIT 1), i.word), i.word
            FROM regexp_split_to_table(search_fold($1), '[^[:alnum:]]+') WITH ORDINALITY i(word, position)
            WHERE i.word <> '' ORDER BY i.position
            """);
        command.Parameters.Add(new() { Value = text });
        var words = new List<string>();
        var changed = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            words.Add(reader.GetString(0));
            changed |= reader.GetString(0) != reader.GetString(1);
        }
        return changed ? string.Join(' ', words) : null;
    }

    /// <summary>
    /// One statement: the matches with a flag per filter, then from them the page, the counts and every facet: the
    /// category, brand, price and stock facets in one grouping pass, the attribute values in one more.
    /// </summary>
    private async Task<(bool Matched, SearchResults Results)> Search(SearchQuery query, string text, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        string Parameter(object value)
        {
            command.Parameters.Add(new() { Value = value });
            return "$" + command.Parameters.Count;
        }
        var textParameter = Parameter(text);
        var flags = new List<(string Name, string Condition)>();
        if (query.Categories.Count > 0)
        {
            flags.Add(("category", $"s.category_ids && {Parameter(query.Categories.ToArray())}::text[]"));
        }
        if (query.Brands.Count > 0)
        {
            flags.Add(("brand", $"s.brand = ANY({Parameter(query.Brands.ToArray())}::text[])"));
        }
        if (query.PriceRanges.Count > 0)
        {
            flags.Add(("price", "(" + string.Join(" OR ", query.PriceRanges.Select(PriceCondition)) + ")"));
        }
        if (query.InStock is { } inStock)
        {
            flags.Add(("stock", inStock ? "s.in_stock" : "NOT s.in_stock"));
        }
        var attributeNames = new List<string>();
        foreach (var (name, values) in query.Attributes.Where(a => a.Value.Count > 0))
        {
            flags.Add(($"attribute_{attributeNames.Count}", $"s.facets && {Parameter(values.Select(v => name + "=" + v).ToArray())}::text[]"));
            attributeNames.Add(Parameter(name));
        }
        string AllBut(string except) => string.Join(" AND ", flags.Where(f => f.Name != except).Select(f => "ok_" + f.Name).DefaultIfEmpty("true"));
        var all = AllBut("");
        // An attribute facet's value counts with every filter but the one on its own attribute.
        var attributeCondition = string.Join(" AND ", flags.Where(f => !f.Name.StartsWith("attribute_", StringComparison.Ordinal)).Select(f => "ok_" + f.Name)
            .Concat(attributeNames.Select((name, i) => $"(ok_attribute_{i} OR split_part(value, '=', 1) = {name})")).DefaultIfEmpty("true"));
        var order = query.Sort switch
        {
            SearchSort.PriceAscending => "min_price ASC NULLS LAST, product_id",
            SearchSort.PriceDescending => "min_price DESC NULLS LAST, product_id",
            SearchSort.Newest => "created_at DESC, product_id",
            _ => "score DESC, product_id",
        };
        // Ranking reads a match's document: only worth it when the order is by relevance, and only for the matches the
        // page can come from (those that pass every filter).
        var passesAll = string.Join(" AND ", flags.Select(f => f.Condition).DefaultIfEmpty("true"));
        var score = query.Sort == SearchSort.Relevance
            ? $"CASE WHEN {passesAll} THEN ts_rank({Weights}, s.document, q.query) * CASE WHEN s.in_stock THEN 1 ELSE {OutOfStockFactor} END END"
            : "0";
        // The price facet's bucket: how many of the ranges' upper bounds the lowest price reaches (0 for the first range).
        var bounds = string.Join(", ", PriceRanges.All.Where(r => r.To is not null).Select(r => r.To!.Value.ToString(CultureInfo.InvariantCulture)));
        var bucketKeys = string.Join(", ", PriceRanges.All.Select(r => $"'{r.Key}'"));
        var limit = Parameter(query.Limit);
        var offset = Parameter((query.Page - 1) * query.Limit);
        var titleOptions = Parameter($"HighlightAll=true, StartSel={MarkStart}, StopSel={MarkEnd}");
        var descriptionOptions = Parameter($"MaxFragments=2, MaxWords=30, MinWords=12, FragmentDelimiter=\" … \", StartSel={MarkStart}, StopSel={MarkEnd}");
        // GROUPING() of the four grouped columns tells the sets apart: 7 category, 11 brand, 13 price bucket, 14 stock, 15 all.
        command.CommandText =
            $"""
            WITH q AS (SELECT websearch_to_tsquery('commerce_search', {textParameter}) AS query),
            m AS MATERIALIZED (
                SELECT s.product_id, s.brand, s.category_id, s.category_name, s.facets, s.in_stock, s.min_price, s.created_at,
                    (ARRAY[{bucketKeys}])[width_bucket(s.min_price, ARRAY[{bounds}]::numeric[]) + 1] AS bucket,
                    {score} AS score
                    {string.Concat(flags.Select(f => $", coalesce({f.Condition}, false) AS ok_{f.Name}"))}
                FROM search_products s, q WHERE {(text.Length > 0 ? "s.document @@ q.query" : "true")}),
            g AS (
                SELECT GROUPING(category_id, brand, bucket, in_stock) AS set, category_id, brand, bucket, in_stock,
                    min(category_name) FILTER (WHERE {AllBut("category")}) AS category_name,
                    count(*) FILTER (WHERE {AllBut("category")}) AS by_category, count(*) FILTER (WHERE {AllBut("brand")}) AS by_brand,
                    count(*) FILTER (WHERE {AllBut("price")}) AS by_price, count(*) FILTER (WHERE {AllBut("stock")}) AS by_stock,
                    count(*) FILTER (WHERE {all}) AS total
                FROM m GROUP BY GROUPING SETS ((category_id), (brand), (bucket), (in_stock), ())),
            page AS (SELECT product_id, row_number() OVER (ORDER BY {order}) AS position FROM (SELECT * FROM m WHERE {all} ORDER BY {order} LIMIT {limit} OFFSET {offset}) top)
            SELECT EXISTS (SELECT FROM m),
                (SELECT total FROM g WHERE set = 15),
                (SELECT coalesce(json_agg(json_build_object('productId', s.product_id, 'title', s.title, 'brand', s.brand,
                        'categoryId', s.category_id, 'categoryName', s.category_name, 'minPrice', s.min_price, 'maxPrice', s.max_price,
                        'currency', s.currency, 'inStock', s.in_stock,
                        'titleHighlight', ts_headline('commerce_search', s.title, q.query, {titleOptions}),
                        'descriptionHighlight', ts_headline('commerce_search', s.description, q.query, {descriptionOptions})) ORDER BY page.position), '[]')
                    FROM page JOIN search_products s USING (product_id), q),
                (SELECT coalesce(json_agg(json_build_array(category_id, category_name, by_category)), '[]') FROM (
                    SELECT category_id, category_name, by_category FROM g WHERE set = 7 AND category_id IS NOT NULL AND by_category > 0
                    ORDER BY by_category DESC, category_id COLLATE "C" LIMIT {FacetValues}) f),
                (SELECT coalesce(json_agg(json_build_array(brand, brand, by_brand)), '[]') FROM (
                    SELECT brand, by_brand FROM g WHERE set = 11 AND brand IS NOT NULL AND by_brand > 0 ORDER BY by_brand DESC, brand COLLATE "C" LIMIT {FacetValues}) f),
                (SELECT coalesce(json_agg(json_build_array(bucket, bucket, by_price)), '[]') FROM g WHERE set = 13 AND bucket IS NOT NULL AND by_price > 0),
                (SELECT coalesce(json_agg(json_build_array(in_stock::text, in_stock::text, by_stock) ORDER BY in_stock DESC), '[]') FROM g WHERE set = 14 AND by_stock > 0),
                (SELECT coalesce(json_agg(json_build_array(value, value, count)), '[]') FROM (
                    SELECT value, count(*) AS count FROM (SELECT unnest(facets) AS value{string.Concat(flags.Select(f => ", ok_" + f.Name))} FROM m) u
                    WHERE {attributeCondition} GROUP BY value ORDER BY count DESC, value COLLATE "C" LIMIT 500) f)
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var facets = new SearchFacets(
            ReadFacet(reader.GetString(3), query.Categories, v => v),
            ReadFacet(reader.GetString(4), query.Brands, v => v),
            ReadFacet(reader.GetString(5), query.PriceRanges, v => PriceRanges.Find(v)!.Label)
                .OrderBy(v => PriceRanges.All.ToList().FindIndex(r => r.Key == v.Value)).ToList(),
            ReadFacet(reader.GetString(6), query.InStock is { } stock ? [stock ? "true" : "false"] : [], v => v == "true" ? "In stock" : "Out of stock"),
            ReadAttributeFacets(reader.GetString(7), query.Attributes));
        return (reader.GetBoolean(0), new SearchResults(reader.IsDBNull(1) ? 0 : reader.GetInt64(1), query.Page, query.Limit, null, ReadHits(reader.GetString(2)), facets));
    }

    private static string PriceCondition(string key)
    {
        var range = PriceRanges.Find(key) ?? throw new ArgumentException($"There is no price range '{key}'.", nameof(key));
        var from = $"s.min_price >= {range.From.ToString(CultureInfo.InvariantCulture)}";
        return range.To is { } to ? $"({from} AND s.min_price < {to.ToString(CultureInfo.InvariantCulture)})" : $"({from})";
    }

    private static List<SearchHit> ReadHits(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(hit =>
        {
            string? Text(string name) => hit.GetProperty(name).ValueKind == JsonValueKind.Null ? null : hit.GetProperty(name).GetString();
            Money? Price(string name) => hit.GetProperty(name).ValueKind == JsonValueKind.Null ? null : new Money(Cents(hit.GetProperty(name).GetDecimal()), Text("currency")!.Trim());
            return new SearchHit(Text("productId")!, Text("title")!, Text("brand"), Text("categoryId"), Text("categoryName"), Price("minPrice"), Price("maxPrice"),
                hit.GetProperty("inStock").GetBoolean(), Highlight(Text("titleHighlight")!), Highlight(Text("descriptionHighlight")!));
        }).ToList();
    }

    private static List<FacetValue> ReadFacet(string json, IReadOnlyCollection<string> selected, Func<string, string> label)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(v =>
        {
            var value = v[0].GetString()!;
            return new FacetValue(value, v[1].GetString() is { } l && l != value ? l : label(value), v[2].GetInt64(), selected.Contains(value));
        }).ToList();
    }

    private static List<AttributeFacet> ReadAttributeFacets(string json, IReadOnlyDictionary<string, IReadOnlyList<string>> selected)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(v => (Pair: v[0].GetString()!.Split('=', 2), Count: v[2].GetInt64()))
            .GroupBy(v => v.Pair[0], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new AttributeFacet(g.Key, g.Take(FacetValues)
                .Select(v => new FacetValue(v.Pair[1], v.Pair[1], v.Count, selected.TryGetValue(g.Key, out var chosen) && chosen.Contains(v.Pair[1]))).ToList()))
            .ToList();
    }

    /// <summary>numeric(19,4) reads back as 12.5000: show 12.50, keeping the digits of a price that really has four (as the catalog does).</summary>
    private static decimal Cents(decimal amount) => decimal.Round(amount, 2) == amount ? decimal.Round(amount, 2) : amount;

    /// <summary>ts_headline's marked text as HTML: everything escaped, the marks made &lt;mark&gt;.</summary>
    private static string Highlight(string marked)
    {
        var html = new StringBuilder(marked.Length + 16);
        foreach (var c in marked)
        {
            html.Append(c switch
            {
                MarkStart => "<mark>",
                MarkEnd => "</mark>",
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
        return html.ToString();
    }

    public async Task<IReadOnlyList<Suggestion>> SuggestAsync(string prefix, int limit, CancellationToken cancellationToken)
    {
        // LIKE's own characters are matched as themselves; three characters or more are found at any word start, shorter
        // ones at the start of a label. A prefix short enough to be listed whole in search_suggestion_prefixes (folding
        // may double a character: ß → ss) is one range of its ranked index; a longer one, rare and selective, is found
        // through the trigram index and sorted.
        var typed = prefix.Trim();
        var escaped = typed.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
        var anywhere = escaped.Length >= 3;
        var listed = typed.Length <= PrefixLength / 2;
        await using var command = dataSource.CreateCommand(listed
            ? $"""
              SELECT kind, key, label, products FROM search_suggestion_prefixes WHERE prefix = search_fold($1){(anywhere ? "" : " AND at_start")}
              ORDER BY at_start DESC, products DESC, length(label), label, kind LIMIT $2
              """
            : """
              SELECT kind, key, label, products FROM search_suggestions
              WHERE folded LIKE '%' || search_fold($1) || '%' AND (folded LIKE search_fold($1) || '%' OR folded LIKE '% ' || search_fold($1) || '%')
              ORDER BY folded LIKE search_fold($1) || '%' DESC, products DESC, length(label), label, kind LIMIT $2
              """);
        command.Parameters.Add(new() { Value = listed ? typed : escaped });
        command.Parameters.Add(new() { Value = limit });
        var suggestions = new List<Suggestion>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var kind = reader.GetString(0) switch { "brand" => SuggestionKind.Brand, "category" => SuggestionKind.Category, _ => SuggestionKind.Product };
            suggestions.Add(new Suggestion(kind, reader.GetString(2), kind == SuggestionKind.Category ? reader.GetString(1) : null, reader.GetInt32(3)));
        }
        return suggestions;
    }
}
