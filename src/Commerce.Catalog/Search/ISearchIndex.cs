using Commerce.Grains;

namespace Commerce.Catalog.Search;

/// <summary>
/// Product search as shoppers use it. The gateway depends on this interface alone, so another engine (an
/// Elasticsearch index, say) could answer it without the gateway changing; <see cref="PostgresSearchIndex"/> is the
/// one implementation.
/// </summary>
public interface ISearchIndex
{
    /// <summary>Products matching the query and filters, a page of them ranked or sorted, with facets and highlights.</summary>
    Task<SearchResults> SearchAsync(SearchQuery query, CancellationToken cancellationToken);

    /// <summary>At most <paramref name="limit"/> titles, brands and categories a shopper may mean by what they typed so far.</summary>
    Task<IReadOnlyList<Suggestion>> SuggestAsync(string prefix, int limit, CancellationToken cancellationToken);
}

public enum SearchSort { Relevance, PriceAscending, PriceDescending, Newest }

/// <summary>
/// A search. Values of one filter are alternatives (brand A or B); different filters all apply. Attribute filters
/// are keyed by attribute or option name ("colour" → ["black", "white"]). An empty <see cref="Text"/> matches every
/// product the filters let through (a category page browsing).
/// </summary>
public sealed record SearchQuery(
    string Text,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> Brands,
    IReadOnlyList<string> PriceRanges,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes,
    bool? InStock,
    SearchSort Sort,
    int Page,
    int Limit)
{
    public static SearchQuery For(string text) => new(text, [], [], [], new Dictionary<string, IReadOnlyList<string>>(), null, SearchSort.Relevance, 1, 20);
}

/// <summary>
/// One page of hits. <see cref="DidYouMean"/> is the corrected query when the one typed found nothing and its
/// misspelt words were replaced by the nearest words of the catalog; the hits and facets are then the corrected query's.
/// </summary>
public sealed record SearchResults(long Total, int Page, int Limit, string? DidYouMean, IReadOnlyList<SearchHit> Hits, SearchFacets Facets);

/// <summary>
/// A product found. The highlights are HTML: the text escaped, the words that matched inside &lt;mark&gt;; the
/// description's is a snippet around its matches. Prices are the active SKUs' lowest and highest in the store's currency, null without any.
/// </summary>
public sealed record SearchHit(
    string ProductId,
    string Title,
    string? Brand,
    string? CategoryId,
    string? CategoryName,
    Money? MinPrice,
    Money? MaxPrice,
    bool InStock,
    string TitleHighlight,
    string DescriptionHighlight);

/// <summary>
/// Counts of the products each facet value would give: every facet counts with all the other filters applied but
/// its own, so that choosing a second brand shows how many it adds.
/// </summary>
public sealed record SearchFacets(
    IReadOnlyList<FacetValue> Categories,
    IReadOnlyList<FacetValue> Brands,
    IReadOnlyList<FacetValue> Prices,
    IReadOnlyList<FacetValue> InStock,
    IReadOnlyList<AttributeFacet> Attributes);

/// <summary>A facet value: what to filter by, what to show, how many products, whether the query filters by it.</summary>
public sealed record FacetValue(string Value, string Label, long Count, bool Selected);

public sealed record AttributeFacet(string Name, IReadOnlyList<FacetValue> Values);

public enum SuggestionKind { Product, Brand, Category }

/// <summary>A completion: a product title or brand to search for, or a category (its id to filter by); how many products carry it.</summary>
public sealed record Suggestion(SuggestionKind Kind, string Text, string? CategoryId, int Products);

/// <summary>The fixed price buckets of the price facet, by the product's lowest active SKU price in the store's currency (<see cref="SearchPricingOptions"/>).</summary>
public static class PriceRanges
{
    public sealed record Range(string Key, decimal From, decimal? To)
    {
        public string Label => To is { } to ? $"{From:0}–{to:0}" : $"{From:0}+";
    }

    public static readonly IReadOnlyList<Range> All =
    [
        new("0-25", 0, 25), new("25-50", 25, 50), new("50-100", 50, 100), new("100-200", 100, 200), new("200-500", 200, 500), new("500-", 500, null),
    ];

    public static Range? Find(string key) => All.FirstOrDefault(r => r.Key == key);
}
