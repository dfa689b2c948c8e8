using System.Net;
using Commerce.Catalog.Search;
using Commerce.Grains;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Gateway.Tests;

/// <summary>
/// The gateway on a database holding a small fixed catalog, written straight into the catalog tables and indexed
/// with <see cref="ISearchIndexWriter"/> as the stream consumer will: phones under electronics, kitchen things,
/// one inactive product. Tests that change the index use products of their own. The gateway's search cache is off,
/// so that a search right after a change sees it (SearchCacheTests test the cache on this index).
/// </summary>
public sealed class SearchServer : GatewayServer, IAsyncLifetime
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { [SearchCacheOptions.Section + ":Duration"] = "00:00:00" };

    public static readonly string[] Products = ["p-iphone", "p-case", "p-galaxy", "p-pixel", "p-cafe", "p-cups-1", "p-cups-2", "p-retired"];

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        await Sql(
            """
            INSERT INTO catalog_categories (category_id, parent_id, name, slug, path) VALUES
                ('electronics', NULL, 'Electronics', 'electronics', '/electronics'),
                ('phones', 'electronics', 'Phones', 'phones', '/electronics/phones'),
                ('kitchen', NULL, 'Kitchen', 'kitchen', '/kitchen');
            INSERT INTO catalog_products (product_id, title, description, brand, category_id, attributes, active, created_at) VALUES
                ('p-iphone', 'Apple iPhone 15', 'A smartphone with a great camera.', 'Apple', 'phones', '{"storage":"128 GB"}', true, '2026-01-05'),
                ('p-case', 'Leather phone case', 'Fits the iPhone 15 perfectly.', 'Nomad', 'phones', '{"material":"leather"}', true, '2026-01-04'),
                ('p-galaxy', 'Samsung Galaxy S24', 'Android smartphone.', 'Samsung', 'phones', '{}', true, '2026-01-03'),
                ('p-pixel', 'Google Pixel 8', 'Android smartphone by Google.', 'Google', 'phones', '{}', true, '2026-01-02'),
                ('p-cafe', 'Café espresso machine', 'Brews espresso & crema for <2 mugs.', 'DeLonghi', 'kitchen', '{"material":"steel"}', true, '2026-01-01'),
                ('p-cups-1', 'Espresso cups', 'Six porcelain cups.', 'Bodum', 'kitchen', '{"material":"porcelain"}', true, '2025-12-01'),
                ('p-cups-2', 'Espresso cups', 'Six porcelain cups.', 'Bodum', 'kitchen', '{"material":"porcelain"}', true, '2025-12-02'),
                ('p-retired', 'Apple iPhone 12', 'An older smartphone.', 'Apple', 'phones', '{}', false, '2024-01-01');
            INSERT INTO catalog_skus (sku, product_id, title, options, price, currency) VALUES
                ('iphone-black', 'p-iphone', 'Apple iPhone 15, black', '{"colour":"black"}', 899, 'EUR'),
                ('iphone-white', 'p-iphone', 'Apple iPhone 15, white', '{"colour":"white"}', 949, 'EUR'),
                ('case-brown', 'p-case', 'Leather phone case, brown', '{"colour":"brown"}', 39, 'EUR'),
                ('galaxy-black', 'p-galaxy', 'Samsung Galaxy S24, black', '{"colour":"black"}', 799, 'EUR'),
                ('pixel-black', 'p-pixel', 'Google Pixel 8, black', '{"colour":"black"}', 699, 'EUR'),
                ('cafe-steel', 'p-cafe', 'Café espresso machine', '{}', 249, 'EUR'),
                ('cups-1', 'p-cups-1', 'Espresso cups', '{}', 19, 'EUR'),
                ('cups-2', 'p-cups-2', 'Espresso cups', '{}', 19, 'EUR'),
                ('retired', 'p-retired', 'Apple iPhone 12', '{}', 499, 'EUR');
            """);
        var writer = Services.GetRequiredService<ISearchIndexWriter>();
        await writer.SetStockAsync([new("iphone-black", 5), new("iphone-white", 0), new("case-brown", 10), new("galaxy-black", 0), new("pixel-black", 3),
            new("cafe-steel", 2), new("cups-1", 0), new("cups-2", 4), new("retired", 9)], default);
        await writer.IndexProductsAsync(Products, default);
    }

    public async Task Sql(string sql)
    {
        await using var command = Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}

public sealed class SearchApiTests(SearchServer server) : IClassFixture<SearchServer>
{
    private async Task<SearchResults> Search(string query)
    {
        using var shopper = server.Anonymous();
        return await (await shopper.GetAsync("/api/v1/search?" + query)).Read<SearchResults>();
    }

    private static List<string> Ids(SearchResults results) => results.Hits.Select(h => h.ProductId).ToList();

    private static Dictionary<string, long> Counts(IEnumerable<FacetValue> facet) => facet.ToDictionary(v => v.Value, v => v.Count);

    [Fact]
    public async Task A_title_match_ranks_above_a_description_only_match_and_inactive_products_are_not_found()
    {
        var results = await Search("q=iphone");
        Assert.Equal(["p-iphone", "p-case"], Ids(results));
        Assert.Equal(2, results.Total);
        Assert.Null(results.DidYouMean);
        var iphone = results.Hits[0];
        Assert.Equal((899m, 949m, "EUR", true), (iphone.MinPrice!.Amount, iphone.MaxPrice!.Amount, iphone.MinPrice.Currency, iphone.InStock));
        Assert.Equal(("phones", "Phones"), (iphone.CategoryId, iphone.CategoryName));
    }

    [Fact]
    public async Task An_in_stock_product_ranks_above_an_equally_matching_out_of_stock_one()
    {
        var results = await Search("q=cups");
        Assert.Equal(["p-cups-2", "p-cups-1"], Ids(results));
        Assert.Equal([true, false], results.Hits.Select(h => h.InStock));
    }

    [Fact]
    public async Task Matches_are_highlighted_as_escaped_html()
    {
        var iphone = await Search("q=iphone");
        Assert.Equal("Apple <mark>iPhone</mark> 15", iphone.Hits[0].TitleHighlight);
        Assert.Contains("<mark>iPhone</mark>", iphone.Hits[1].DescriptionHighlight);

        var espresso = await Search("q=espresso&sort=newest&limit=1");
        Assert.Equal("Brews <mark>espresso</mark> &amp; crema for &lt;2 mugs", espresso.Hits[0].DescriptionHighlight);
    }

    [Fact]
    public async Task Each_facet_counts_with_the_other_filters_applied_but_not_its_own()
    {
        var all = await Search("q=phones");
        Assert.Equal(4, all.Total);
        Assert.Equal(new Dictionary<string, long> { ["Apple"] = 1, ["Nomad"] = 1, ["Samsung"] = 1, ["Google"] = 1 }, Counts(all.Facets.Brands));
        Assert.Equal(new Dictionary<string, long> { ["true"] = 3, ["false"] = 1 }, Counts(all.Facets.InStock));
        Assert.Equal(new Dictionary<string, long> { ["phones"] = 4 }, Counts(all.Facets.Categories));
        Assert.Equal(new Dictionary<string, long> { ["25-50"] = 1, ["500-"] = 3 }, Counts(all.Facets.Prices));
        Assert.Equal(new Dictionary<string, long> { ["black"] = 3, ["white"] = 1, ["brown"] = 1 }, Counts(all.Facets.Attributes.Single(a => a.Name == "colour").Values));

        var inStock = await Search("q=phones&inStock=true");
        Assert.Equal(3, inStock.Total);
        // The brand facet drops the out-of-stock Samsung; the stock facet still offers both answers.
        Assert.Equal(new Dictionary<string, long> { ["Apple"] = 1, ["Nomad"] = 1, ["Google"] = 1 }, Counts(inStock.Facets.Brands));
        Assert.Equal(new Dictionary<string, long> { ["true"] = 3, ["false"] = 1 }, Counts(inStock.Facets.InStock));
        Assert.True(inStock.Facets.InStock.Single(v => v.Value == "true").Selected);

        var apple = await Search("q=phones&brand=Apple&attribute=colour:black");
        Assert.Equal(["p-iphone"], Ids(apple));
        Assert.Equal(new Dictionary<string, long> { ["Apple"] = 1, ["Samsung"] = 1, ["Google"] = 1 }, Counts(apple.Facets.Brands));
        // Colour counts with the brand filter but not the colour filter: the white iPhone counts too.
        Assert.Equal(new Dictionary<string, long> { ["black"] = 1, ["white"] = 1 }, Counts(apple.Facets.Attributes.Single(a => a.Name == "colour").Values));
        Assert.Equal(new Dictionary<string, long> { ["500-"] = 1 }, Counts(apple.Facets.Prices));
        Assert.Equal("Apple", Assert.Single(apple.Facets.Brands, b => b.Selected).Value);
    }

    [Theory]
    [InlineData("q=phones&category=electronics", "p-iphone,p-case,p-galaxy,p-pixel")]
    [InlineData("q=espresso&category=electronics", "")]
    [InlineData("q=phones&brand=Samsung&brand=Google", "p-galaxy,p-pixel")]
    [InlineData("q=phones&price=25-50", "p-case")]
    [InlineData("q=espresso&price=0-25&price=200-500", "p-cafe,p-cups-2,p-cups-1")]
    [InlineData("q=phones&attribute=colour:white", "p-iphone")]
    [InlineData("q=espresso&attribute=material:steel&attribute=material:porcelain", "p-cafe,p-cups-2,p-cups-1")]
    [InlineData("q=phones&inStock=false", "p-galaxy")]
    [InlineData("q=smartphone&category=phones&brand=Google&price=500-&inStock=true", "p-pixel")]
    public async Task Every_filter_narrows_the_hits(string query, string expected)
    {
        var results = await Search(query + "&sort=relevance");
        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries).Order(), Ids(results).Order());
        Assert.Equal(results.Hits.Count, results.Total);
    }

    [Fact]
    public async Task A_category_without_words_lists_all_its_products_with_facets_and_sorts()
    {
        var phones = await Search("category=electronics&sort=price-asc");
        Assert.Equal(["p-case", "p-pixel", "p-galaxy", "p-iphone"], Ids(phones));
        Assert.Null(phones.DidYouMean);
        Assert.Equal(new Dictionary<string, long> { ["Apple"] = 1, ["Nomad"] = 1, ["Samsung"] = 1, ["Google"] = 1 }, Counts(phones.Facets.Brands));
        Assert.Equal(new Dictionary<string, long> { ["25-50"] = 1, ["500-"] = 3 }, Counts(phones.Facets.Prices));

        var kitchen = await Search("category=kitchen&inStock=true&sort=newest");
        Assert.Equal(["p-cafe", "p-cups-2"], Ids(kitchen));
        Assert.Equal(new Dictionary<string, long> { ["steel"] = 1, ["porcelain"] = 1 }, Counts(kitchen.Facets.Attributes.Single(a => a.Name == "material").Values));
    }

    [Theory]
    [InlineData("price-asc", "p-case,p-pixel,p-galaxy,p-iphone")]
    [InlineData("price-desc", "p-iphone,p-galaxy,p-pixel,p-case")]
    [InlineData("newest", "p-iphone,p-case,p-galaxy,p-pixel")]
    public async Task Hits_sort_by_price_or_newest(string sort, string expected)
    {
        Assert.Equal(expected.Split(','), Ids(await Search("q=phones&sort=" + sort)));
    }

    [Fact]
    public async Task Pages_follow_each_other_without_overlap()
    {
        var first = await Search("q=phones&sort=price-asc&limit=3&page=1");
        var second = await Search("q=phones&sort=price-asc&limit=3&page=2");
        Assert.Equal(["p-case", "p-pixel", "p-galaxy"], Ids(first));
        Assert.Equal(["p-iphone"], Ids(second));
        Assert.Equal((4, 4), (first.Total, second.Total));
        Assert.Empty((await Search("q=phones&limit=3&page=3")).Hits);
    }

    [Fact]
    public async Task A_misspelt_word_is_corrected_to_the_nearest_catalog_word()
    {
        var results = await Search("q=iphnoe");
        Assert.Equal("iphone", results.DidYouMean);
        Assert.Equal(["p-iphone", "p-case"], Ids(results));

        var twoWords = await Search("q=samsnug%20galxy");
        Assert.Equal("samsung galaxy", twoWords.DidYouMean);
        Assert.Equal(["p-galaxy"], Ids(twoWords));
    }

    [Theory]
    [InlineData("zqxjvk")]
    [InlineData("iphone zqxjvk")]
    [InlineData("blender")]
    public async Task A_query_far_from_every_catalog_word_finds_nothing(string query)
    {
        var results = await Search("q=" + Uri.EscapeDataString(query));
        Assert.Empty(results.Hits);
        Assert.Equal(0, results.Total);
        Assert.Null(results.DidYouMean);
    }

    [Fact]
    public async Task Accents_do_not_matter()
    {
        var results = await Search("q=cafe");
        Assert.Equal(["p-cafe"], Ids(results));
        Assert.Equal("<mark>Café</mark> espresso machine", results.Hits[0].TitleHighlight);
        Assert.Equal(["p-cafe"], Ids(await Search("q=" + Uri.EscapeDataString("CAFÉ"))));
    }

    [Fact]
    public async Task Suggestions_complete_titles_brands_and_categories_from_any_word_start()
    {
        using var shopper = server.Anonymous();
        async Task<List<Suggestion>> Suggest(string q) =>
            [.. await (await shopper.GetAsync("/api/v1/search/suggest?q=" + Uri.EscapeDataString(q))).Read<IReadOnlyList<Suggestion>>()];

        Assert.Equal([new Suggestion(SuggestionKind.Product, "Apple iPhone 15", null, 1)], await Suggest("iph"));
        var ph = await Suggest("pho");
        Assert.Equal([new Suggestion(SuggestionKind.Category, "Phones", "phones", 4), new Suggestion(SuggestionKind.Product, "Leather phone case", null, 1)], ph);
        Assert.Equal([new Suggestion(SuggestionKind.Brand, "Apple", null, 1), new Suggestion(SuggestionKind.Product, "Apple iPhone 15", null, 1)], await Suggest("ap"));
        Assert.Contains(new Suggestion(SuggestionKind.Product, "Espresso cups", null, 2), await Suggest("espr"));
        Assert.Contains(new Suggestion(SuggestionKind.Product, "Café espresso machine", null, 1), await Suggest("caf"));
        Assert.Empty(await Suggest("hone"));
        Assert.Empty(await Suggest("100%"));
    }

    [Fact]
    public async Task Suggestions_follow_a_renamed_title_and_long_prefixes_are_completed_too()
    {
        using var shopper = server.Anonymous();
        async Task<List<string>> Suggest(string q) =>
            [.. (await (await shopper.GetAsync("/api/v1/search/suggest?q=" + Uri.EscapeDataString(q))).Read<IReadOnlyList<Suggestion>>()).Select(s => s.Text)];
        var writer = server.Services.GetRequiredService<ISearchIndexWriter>();
        await server.Sql("INSERT INTO catalog_products (product_id, title, description) VALUES ('p-quill', 'Goose quill pen', 'Writes in ink.')");
        await writer.IndexProductsAsync(["p-quill"], default);
        Assert.Equal(["Goose quill pen"], await Suggest("qui"));
        Assert.Equal(["Goose quill pen"], await Suggest("goose quill p"));

        await server.Sql("UPDATE catalog_products SET title = 'Goose feather pen' WHERE product_id = 'p-quill'");
        await writer.IndexProductsAsync(["p-quill"], default);
        Assert.Empty(await Suggest("qui"));
        Assert.Equal(["Goose feather pen"], await Suggest("fea"));
        Assert.Equal(["Goose feather pen"], await Suggest("GOOSE FEATHER"));
    }

    [Fact]
    public async Task Stock_changes_and_reindexing_move_a_product_through_the_results()
    {
        var writer = server.Services.GetRequiredService<ISearchIndexWriter>();
        await server.Sql(
            """
            INSERT INTO catalog_products (product_id, title, description, brand) VALUES ('p-lantern', 'Storm lantern', 'Burns for hours.', 'Feuerhand');
            INSERT INTO catalog_skus (sku, product_id, title, price, currency) VALUES ('lantern-red', 'p-lantern', 'Storm lantern, red', 30, 'EUR');
            """);
        await writer.IndexProductsAsync(["p-lantern"], default);
        Assert.False(Assert.Single((await Search("q=lantern")).Hits).InStock);

        await writer.SetStockAsync([new("lantern-red", 7)], default);
        Assert.True(Assert.Single((await Search("q=lantern")).Hits).InStock);

        await server.Sql("UPDATE catalog_products SET title = 'Hurricane lantern', brand = 'Petromax' WHERE product_id = 'p-lantern'");
        await writer.IndexProductsAsync(["p-lantern"], default);
        Assert.Equal("Petromax", Assert.Single((await Search("q=hurricane")).Hits).Brand);
        Assert.Empty((await Search("q=storm")).Hits);

        await server.Sql("UPDATE catalog_products SET active = false WHERE product_id = 'p-lantern'");
        await writer.IndexProductsAsync(["p-lantern"], default);
        Assert.Empty((await Search("q=lantern")).Hits);
        using var shopper = server.Anonymous();
        Assert.Empty(await (await shopper.GetAsync("/api/v1/search/suggest?q=hurr")).Read<IReadOnlyList<Suggestion>>());
        Assert.Empty(await (await shopper.GetAsync("/api/v1/search/suggest?q=petr")).Read<IReadOnlyList<Suggestion>>());
    }

    [Fact]
    public async Task Prices_filter_sort_and_bucket_in_the_store_currency_only()
    {
        await server.Sql(
            """
            INSERT INTO catalog_products (product_id, title, description) VALUES
                ('p-kettle-mixed', 'Copper kettle', 'Priced in euros and in dollars.'),
                ('p-kettle-dollars', 'Enamel kettle', 'Priced in dollars only.'),
                ('p-kettle-euros', 'Steel kettle', 'Priced in euros.');
            INSERT INTO catalog_skus (sku, product_id, title, price, currency) VALUES
                ('kettle-mixed-eur', 'p-kettle-mixed', 'Copper kettle', 40, 'EUR'),
                ('kettle-mixed-usd', 'p-kettle-mixed', 'Copper kettle, US', 5, 'USD'),
                ('kettle-dollars', 'p-kettle-dollars', 'Enamel kettle', 10, 'USD'),
                ('kettle-euros', 'p-kettle-euros', 'Steel kettle', 20, 'EUR');
            """);
        await server.Services.GetRequiredService<ISearchIndexWriter>().IndexProductsAsync(["p-kettle-mixed", "p-kettle-dollars", "p-kettle-euros"], default);

        // The store sells in EUR (the default of Commerce:Checkout:Currency): dollar prices are not compared with euro ones.
        var cheapest = await Search("q=kettle&sort=price-asc");
        Assert.Equal(["p-kettle-euros", "p-kettle-mixed", "p-kettle-dollars"], Ids(cheapest));
        var mixed = cheapest.Hits.Single(h => h.ProductId == "p-kettle-mixed");
        Assert.Equal((new Money(40m, "EUR"), new Money(40m, "EUR")), (mixed.MinPrice, mixed.MaxPrice));
        Assert.Null(cheapest.Hits.Single(h => h.ProductId == "p-kettle-dollars").MinPrice);
        Assert.Equal(new Dictionary<string, long> { ["0-25"] = 1, ["25-50"] = 1 }, Counts(cheapest.Facets.Prices));
        Assert.Equal(["p-kettle-euros"], Ids(await Search("q=kettle&price=0-25")));
    }

    [Fact]
    public async Task A_word_no_product_has_any_more_leaves_the_vocabulary_so_no_typo_is_corrected_to_it()
    {
        var writer = server.Services.GetRequiredService<ISearchIndexWriter>();
        await server.Sql(
            """
            INSERT INTO catalog_products (product_id, title, description) VALUES
                ('p-zeppelin-model', 'Zeppelin model', 'A kit to build.'), ('p-zeppelin-poster', 'Zeppelin poster', 'Printed on paper.');
            """);
        await writer.IndexProductsAsync(["p-zeppelin-model", "p-zeppelin-poster"], default);
        Assert.Equal("zeppelin", (await Search("q=zepelin")).DidYouMean);

        // One product renamed: the other still has the word, so it stays.
        await server.Sql("UPDATE catalog_products SET title = 'Airship model' WHERE product_id = 'p-zeppelin-model'");
        await writer.IndexProductsAsync(["p-zeppelin-model"], default);
        Assert.Equal((true, true), (await InVocabulary("zeppelin"), await InVocabulary("airship")));

        // The last product with it leaves the index: so does the word, and the typo is no longer "corrected" into nothing.
        await server.Sql("UPDATE catalog_products SET active = false WHERE product_id = 'p-zeppelin-poster'");
        await writer.IndexProductsAsync(["p-zeppelin-poster"], default);
        Assert.Equal((false, false, true), (await InVocabulary("zeppelin"), await InVocabulary("poster"), await InVocabulary("model")));
        var typo = await Search("q=zepelin");
        Assert.Null(typo.DidYouMean);
        Assert.Equal(0, typo.Total);
    }

    private async Task<bool> InVocabulary(string word)
    {
        await using var command = server.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT EXISTS (SELECT FROM search_words WHERE word = $1)");
        command.Parameters.Add(new() { Value = word });
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    [Theory]
    [InlineData("/api/v1/search", "q")]
    [InlineData("/api/v1/search?q=%20%20", "q")]
    [InlineData("/api/v1/search?q=a%00b", "q")]
    [InlineData("/api/v1/search?q=phones&limit=0", "limit")]
    [InlineData("/api/v1/search?q=phones&limit=101", "limit")]
    [InlineData("/api/v1/search?q=phones&page=0", "page")]
    [InlineData("/api/v1/search?q=phones&page=101&limit=100", "page")]
    [InlineData("/api/v1/search?q=phones&sort=cheapest", "sort")]
    [InlineData("/api/v1/search?q=phones&price=1-2", "price")]
    [InlineData("/api/v1/search?q=phones&attribute=colour", "attribute")]
    [InlineData("/api/v1/search?q=phones&attribute=col%3Dour:black", "attribute")]
    [InlineData("/api/v1/search?q=phones&category=two%20words", "category")]
    [InlineData("/api/v1/search?q=phones&brand=a%00", "brand")]
    [InlineData("/api/v1/search/suggest", "q")]
    [InlineData("/api/v1/search/suggest?q=ip&limit=21", "limit")]
    [InlineData("/api/v1/search/suggest?q=%00", "q")]
    public async Task Bad_input_gets_a_problem_naming_the_field(string path, string field)
    {
        using var shopper = server.Anonymous();
        await (await shopper.GetAsync(path)).AssertProblem(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task A_query_of_more_than_200_characters_is_refused()
    {
        using var shopper = server.Anonymous();
        await (await shopper.GetAsync("/api/v1/search?q=" + new string('a', 201))).AssertProblem(HttpStatusCode.BadRequest, "q");
        Assert.Empty((await Search("q=" + new string('a', 200))).Hits);
    }
}
