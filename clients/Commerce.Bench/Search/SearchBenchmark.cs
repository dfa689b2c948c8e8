using System.Diagnostics;
using Commerce.Bench.Harness;
using Commerce.Catalog.Generation;
using Commerce.Catalog.Search;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Bench.Search;

/// <summary>
/// <c>deploy/bench search</c>: a generated catalog (100,000 products, 400,000 SKUs by default) written into a fresh
/// database, stock set for every SKU and every product indexed, then 20 realistic searches (some misspelt, some with
/// facet filters, all with facets and highlights) and autocomplete prefixes at the given concurrency, through
/// <see cref="ISearchIndex"/> against PostgreSQL (no HTTP). Checks that misspellings are corrected.
/// </summary>
public static class SearchBenchmark
{
    private sealed record Case(string Name, SearchQuery Query, string? Corrected = null);

    public static async Task<int> RunAsync(int seconds, int clients, int products, BenchEnvironment environment)
    {
        var connectionString = environment.RequirePostgres();
        await BenchDatabase.ResetAsync(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = clients + 8, CommandTimeout = 600 }.ConnectionString);

        var generator = new CatalogGenerator(seed: 42, products, skusPerProduct: 4);
        var stopwatch = Stopwatch.StartNew();
        var skus = await generator.WriteAsync(dataSource, CancellationToken.None);
        var written = stopwatch.Elapsed;
        Report.Progress($"search: {products:N0} products, {skus.Count:N0} SKUs, {generator.Categories.Count} categories written in {written.TotalSeconds:N1} s");

        var index = new PostgresSearchIndex(dataSource, Options.Create(new SearchPricingOptions()));
        var random = new Random(42);
        stopwatch.Restart();
        // About one SKU in five is sold out, so that the in-stock facet and ranking have something to do.
        foreach (var chunk in skus.Chunk(20_000))
        {
            await index.SetStockAsync(chunk.Select(s => new SkuStock(s.Code, random.Next(5) == 0 ? 0 : random.Next(1, 50))).ToList(), CancellationToken.None);
        }
        var stocked = stopwatch.Elapsed;
        stopwatch.Restart();
        foreach (var chunk in generator.Products.Chunk(2_000))
        {
            await index.IndexProductsAsync(chunk.Select(p => p.ProductId).ToList(), CancellationToken.None);
        }
        var indexed = stopwatch.Elapsed;
        await Analyze(dataSource);
        Report.Progress($"search: stock set in {stocked.TotalSeconds:N1} s, {products:N0} products indexed in {indexed.TotalSeconds:N1} s ({products / indexed.TotalSeconds:N0}/s)");

        // One product changed and re-indexed alone: what the index step adds to the lag after a catalog change.
        var changed = generator.Products[products / 2];
        var reindex = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            await using (var update = dataSource.CreateCommand("UPDATE catalog_products SET title = $2 WHERE product_id = $1"))
            {
                update.Parameters.Add(new() { Value = changed.ProductId });
                update.Parameters.Add(new() { Value = $"{changed.Title} edition{i}" });
                await update.ExecuteNonQueryAsync();
            }
            var started = Stopwatch.GetTimestamp();
            await index.IndexProductsAsync([changed.ProductId], CancellationToken.None);
            reindex.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        reindex.Sort();

        var cases = Cases(generator);
        foreach (var check in cases.Where(c => c.Corrected is not null))
        {
            var results = await index.SearchAsync(check.Query, CancellationToken.None);
            if (results.DidYouMean != check.Corrected || results.Total == 0)
            {
                Report.Fail($"search '{check.Query.Text}' answered didYouMean '{results.DidYouMean}' with {results.Total} hits; expected '{check.Corrected}' with hits");
            }
        }
        foreach (var c in cases)
        {
            var started = Stopwatch.GetTimestamp();
            var results = await index.SearchAsync(c.Query, CancellationToken.None);
            Report.Progress($"  {c.Name,-36} {results.Total,6:N0} hits{(results.DidYouMean is { } d ? $" (did you mean '{d}')" : ""),-34} {Stopwatch.GetElapsedTime(started).TotalMilliseconds,7:N1} ms alone");
        }
        string[] prefixes = ["ch", "cha", "chai", "woo", "wooden", "ergo", "key", "gran", "sle", "fro", "piz", "rus", "ba", "comp", "handm", "tow", "so", "pra", "gl", "in"];

        var duration = TimeSpan.FromSeconds(seconds);
        Task<LoadResult> Searches(ISearchIndex target, int concurrency, TimeSpan length) =>
            LoadRun.RunAsync(concurrency, length, async (client, r) => (await target.SearchAsync(cases[r.Next(cases.Count)].Query, CancellationToken.None)).Total >= 0);
        Task<LoadResult> Suggestions(ISearchIndex target, int concurrency, TimeSpan length) =>
            LoadRun.RunAsync(concurrency, length, async (client, r) => (await target.SuggestAsync(prefixes[r.Next(prefixes.Length)], 8, CancellationToken.None)).Count >= 0);
        // Uncached first: every call a PostgreSQL query, what a query nobody asked in the last seconds costs.
        await Searches(index, clients, TimeSpan.FromSeconds(2));
        var search = await Searches(index, clients, duration);
        // One client alone: the service time of a search without queueing behind the others for the two cores.
        var alone = await Searches(index, 1, duration);
        await Suggestions(index, clients, TimeSpan.FromSeconds(2));
        var suggest = await Suggestions(index, clients, duration);
        var suggestAlone = await Suggestions(index, 1, duration);
        // Then as the gateway serves them, behind the cache with its default duration: the 20 queries repeat, so
        // after the first of each per interval they are answered from memory.
        var cached = new CachedSearchIndex(index, Options.Create(new SearchCacheOptions()), TimeProvider.System);
        var cachedSearch = await Searches(cached, clients, duration);
        var cachedSuggest = await Suggestions(cached, clients, duration);
        foreach (var (name, run) in new[] { ("search", search), ("suggest", suggest), ("search alone", alone), ("suggest alone", suggestAlone), ("cached search", cachedSearch), ("cached suggest", cachedSuggest) })
        {
            if (run.Failed > 0)
            {
                Report.Fail($"{name}: {run.Failed} of {run.Attempted} calls failed, first: {run.FirstError}");
            }
        }
        Report.Progress($"uncached search:  {search.OpsPerSecond,8:N0}/s p50 {search.P50Ms,7:N2} ms p99 {search.P99Ms,7:N2} ms (goal p99 < 50 ms) at {clients} clients");
        Report.Progress($"uncached suggest: {suggest.OpsPerSecond,8:N0}/s p50 {suggest.P50Ms,7:N2} ms p99 {suggest.P99Ms,7:N2} ms (goal p99 < 20 ms) at {clients} clients");
        Report.Progress($"uncached, one client: search p50 {alone.P50Ms:N2} ms p99 {alone.P99Ms:N2} ms, suggest p50 {suggestAlone.P50Ms:N2} ms p99 {suggestAlone.P99Ms:N2} ms");
        Report.Progress($"cached search:    {cachedSearch.OpsPerSecond,8:N0}/s p50 {cachedSearch.P50Ms,7:N2} ms p99 {cachedSearch.P99Ms,7:N2} ms at {clients} clients (20 repeating queries)");
        Report.Progress($"cached suggest:   {cachedSuggest.OpsPerSecond,8:N0}/s p50 {cachedSuggest.P50Ms,7:N2} ms p99 {cachedSuggest.P99Ms,7:N2} ms at {clients} clients (20 repeating prefixes)");
        Report.Line(new
        {
            Benchmark = "search",
            Products = products,
            Skus = skus.Count,
            Clients = clients,
            Seconds = seconds,
            CatalogWriteRowsPerSec = Math.Round((products + skus.Count) / written.TotalSeconds),
            IndexProductsPerSec = Math.Round(products / indexed.TotalSeconds),
            ReindexOneProductP50Ms = Math.Round(reindex[reindex.Count / 2], 2),
            UncachedSearchPerSec = Math.Round(search.OpsPerSecond),
            UncachedSearchP50Ms = search.P50Ms,
            UncachedSearchP99Ms = search.P99Ms,
            UncachedSuggestPerSec = Math.Round(suggest.OpsPerSecond),
            UncachedSuggestP50Ms = suggest.P50Ms,
            UncachedSuggestP99Ms = suggest.P99Ms,
            UncachedSearchOneClientP50Ms = alone.P50Ms,
            UncachedSearchOneClientP99Ms = alone.P99Ms,
            UncachedSuggestOneClientP50Ms = suggestAlone.P50Ms,
            UncachedSuggestOneClientP99Ms = suggestAlone.P99Ms,
            CachedSearchPerSec = Math.Round(cachedSearch.OpsPerSecond),
            CachedSearchP50Ms = cachedSearch.P50Ms,
            CachedSearchP99Ms = cachedSearch.P99Ms,
            CachedSuggestPerSec = Math.Round(cachedSuggest.OpsPerSecond),
            CachedSuggestP50Ms = cachedSuggest.P50Ms,
            CachedSuggestP99Ms = cachedSuggest.P99Ms,
        });
        return Report.CheckFailed ? 1 : 0;
    }

    /// <summary>Twenty searches a shopper of the generated catalog would make: words of its titles, misspellings, facet filters, sorts, a second page.</summary>
    private static List<Case> Cases(CatalogGenerator generator)
    {
        var plain = SearchQuery.For("");
        Case Text(string text, string? corrected = null) => new(text, plain with { Text = text }, corrected);
        var bikeBrand = generator.Products.First(p => p.Title.EndsWith("Bike", StringComparison.Ordinal)).Brand;
        var keyboards = generator.Categories.Where(c => c.Name == "Keyboard").Select(c => c.CategoryId).ToList();
        var department = generator.Categories.First(c => c.ParentId is null).CategoryId;
        return
        [
            Text("chair"),
            Text("wooden chair"),
            new("granite table, 100-200", plain with { Text = "granite table", PriceRanges = ["100-200"] }),
            new("shoes, in stock", plain with { Text = "shoes", InStock = true }),
            new("rustic, cheapest first", plain with { Text = "rustic", Sort = SearchSort.PriceAscending }),
            new("keyboard, its categories", plain with { Text = "keyboard", Categories = keyboards }),
            new("cotton shirt, material", plain with { Text = "cotton shirt", Attributes = new Dictionary<string, IReadOnlyList<string>> { ["material"] = ["Cotton"] } }),
            Text("handmade soft towels"),
            new("ergonomic mouse, newest", plain with { Text = "ergonomic mouse", Sort = SearchSort.Newest }),
            new("bike, one brand", plain with { Text = "bike", Brands = [bikeBrand] }),
            Text("chiar", "chair"),
            Text("keybaord", "keyboard"),
            Text("ergnomic computer", "ergonomic computer"),
            Text("glvoes", "gloves"),
            new("fresh cheese, in stock, 0-25", plain with { Text = "fresh cheese", InStock = true, PriceRanges = ["0-25"] }),
            new("pizza, dearest first", plain with { Text = "pizza", Sort = SearchSort.PriceDescending }),
            new("metal car, page 2", plain with { Text = "metal car", Page = 2 }),
            new("practical plastic, a department", plain with { Text = "practical plastic", Categories = [department] }),
            Text("sleek"),
            Text("tasty frozen bacon"),
        ];
    }

    private static async Task Analyze(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("VACUUM ANALYZE");
        await command.ExecuteNonQueryAsync();
    }
}
