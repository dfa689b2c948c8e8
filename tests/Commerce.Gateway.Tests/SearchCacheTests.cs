using Commerce.Catalog.Search;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Gateway.Tests;

/// <summary>
/// <see cref="CachedSearchIndex"/> in front of the real PostgreSQL index of a <see cref="SearchServer"/>, on a clock
/// the test moves by hand; the queries that reach PostgreSQL are counted by a wrapper around the real index.
/// </summary>
public sealed class SearchCacheTests(SearchServer server) : IClassFixture<SearchServer>
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>The real index, counting the calls that reach it; while <see cref="Gate"/> is set, searches wait for it to open.</summary>
    private sealed class CountingIndex(ISearchIndex index) : ISearchIndex
    {
        public int Searches, Suggestions;

        public TaskCompletionSource? Gate { get; set; }

        public Exception? FailNext { get; set; }

        public async Task<SearchResults> SearchAsync(SearchQuery query, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Searches);
            if (FailNext is { } failure)
            {
                FailNext = null;
                throw failure;
            }
            if (Gate is { } gate)
            {
                await gate.Task;
            }
            return await index.SearchAsync(query, cancellationToken);
        }

        public Task<IReadOnlyList<Suggestion>> SuggestAsync(string prefix, int limit, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Suggestions);
            return index.SuggestAsync(prefix, limit, cancellationToken);
        }
    }

    private (CountingIndex Counted, CachedSearchIndex Cached, ManualClock Clock) Cached(int maxEntries = 1_000)
    {
        var counted = new CountingIndex(server.Services.GetRequiredService<PostgresSearchIndex>());
        var clock = new ManualClock();
        return (counted, new CachedSearchIndex(counted, Options.Create(new SearchCacheOptions { Duration = Window, MaxEntries = maxEntries }), clock), clock);
    }

    private static List<string> Ids(SearchResults results) => results.Hits.Select(h => h.ProductId).ToList();

    [Fact]
    public async Task A_repeated_search_or_suggestion_is_answered_without_a_query_until_the_window_ends_and_then_shows_the_changed_catalog()
    {
        var (counted, cached, clock) = Cached();
        var word = "zq" + Guid.NewGuid().ToString("N")[..8];
        var product = "p-" + word;
        Assert.Empty((await cached.SearchAsync(SearchQuery.For("lamp " + word), default)).Hits);
        Assert.Empty(await cached.SuggestAsync(word[..4], 8, default));
        Assert.Equal((1, 1), (counted.Searches, counted.Suggestions));

        await server.Sql(
            $"""
            INSERT INTO catalog_products (product_id, title, description, brand) VALUES ('{product}', 'Desk lamp {word}', 'Bright.', 'Anglepoise');
            INSERT INTO catalog_skus (sku, product_id, title, price, currency) VALUES ('{product}-sku', '{product}', 'Desk lamp', 80, 'EUR');
            """);
        await server.Services.GetRequiredService<ISearchIndexWriter>().IndexProductsAsync([product], default);

        // Within the window: the answers from before the change, and no query.
        clock.Now += Window - TimeSpan.FromMilliseconds(1);
        Assert.Empty((await cached.SearchAsync(SearchQuery.For("lamp " + word), default)).Hits);
        Assert.Empty(await cached.SuggestAsync(" " + word[..4] + " ", 8, default));
        Assert.Equal((1, 1), (counted.Searches, counted.Suggestions));

        // At its end: one query each, which finds the new product.
        clock.Now += TimeSpan.FromMilliseconds(1);
        Assert.Equal([product], Ids(await cached.SearchAsync(SearchQuery.For("lamp " + word), default)));
        Assert.Equal($"Desk lamp {word}", Assert.Single(await cached.SuggestAsync(word[..4], 8, default)).Text);
        Assert.Equal((2, 2), (counted.Searches, counted.Suggestions));
    }

    [Fact]
    public async Task Searches_differing_only_in_the_order_of_filter_values_share_an_answer_and_other_searches_do_not()
    {
        var (counted, cached, _) = Cached();
        var query = SearchQuery.For("phones") with { Brands = ["Samsung", "Google"], Attributes = new Dictionary<string, IReadOnlyList<string>> { ["colour"] = ["black", "white"] } };
        var first = await cached.SearchAsync(query, default);
        var reordered = await cached.SearchAsync(query with { Brands = ["Google", "Samsung"], Attributes = new Dictionary<string, IReadOnlyList<string>> { ["colour"] = ["white", "black"] } }, default);
        Assert.Same(first, reordered);
        Assert.Equal(1, counted.Searches);

        Assert.Equal(["p-galaxy"], Ids(await cached.SearchAsync(query with { Brands = ["Samsung"] }, default)));
        Assert.Equal(2, Ids(await cached.SearchAsync(query with { Sort = SearchSort.PriceAscending }, default)).Count);
        Assert.Single((await cached.SearchAsync(query with { Limit = 1 }, default)).Hits);
        Assert.Empty((await cached.SearchAsync(query with { Limit = 1, Page = 3 }, default)).Hits);
        Assert.Equal(5, counted.Searches);
    }

    [Fact]
    public async Task Identical_searches_arriving_while_one_is_running_wait_for_it_instead_of_querying()
    {
        var (counted, cached, _) = Cached();
        counted.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var searches = Enumerable.Range(0, 16).Select(_ => cached.SearchAsync(SearchQuery.For("espresso"), default)).ToList();
        Assert.Equal(1, counted.Searches);
        Assert.All(searches, s => Assert.False(s.IsCompleted));

        counted.Gate.SetResult();
        var answers = await Task.WhenAll(searches);
        Assert.Equal(["p-cafe", "p-cups-1", "p-cups-2"], Ids(answers[0]).Order());
        Assert.All(answers, a => Assert.Same(answers[0], a));
        Assert.Equal(1, counted.Searches);
    }

    [Fact]
    public async Task A_failed_search_is_not_kept_and_one_caller_giving_up_does_not_fail_the_others()
    {
        var (counted, cached, _) = Cached();
        counted.FailNext = new InvalidOperationException("the index is down");
        await Assert.ThrowsAsync<InvalidOperationException>(() => cached.SearchAsync(SearchQuery.For("cups"), default));
        Assert.Equal(["p-cups-2", "p-cups-1"], Ids(await cached.SearchAsync(SearchQuery.For("cups"), default)));
        Assert.Equal(2, counted.Searches);

        counted.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();
        var abandoned = cached.SearchAsync(SearchQuery.For("iphone"), impatient.Token);
        var patient = cached.SearchAsync(SearchQuery.For("iphone"), default);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        counted.Gate.SetResult();
        Assert.Equal(["p-iphone", "p-case"], Ids(await patient));
        Assert.Equal(3, counted.Searches);
    }

    [Fact]
    public async Task When_full_new_searches_go_uncached_until_an_entry_expires()
    {
        var (counted, cached, clock) = Cached(maxEntries: 1);
        await cached.SearchAsync(SearchQuery.For("phones"), default);
        await cached.SearchAsync(SearchQuery.For("cups"), default);
        await cached.SearchAsync(SearchQuery.For("cups"), default);
        await cached.SearchAsync(SearchQuery.For("phones"), default);
        Assert.Equal(3, counted.Searches);

        clock.Now += Window;
        await cached.SearchAsync(SearchQuery.For("cups"), default);
        await cached.SearchAsync(SearchQuery.For("cups"), default);
        Assert.Equal(4, counted.Searches);
    }
}
