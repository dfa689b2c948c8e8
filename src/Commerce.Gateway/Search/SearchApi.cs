using Commerce.Catalog.Search;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Search;

/// <summary>
/// Product search for shoppers, anonymous: full-text with facets, filters, sorting, paging and highlights, and
/// suggestions as they type. Answers come from <see cref="ISearchIndex"/>, whatever engine stands behind it.
/// </summary>
internal static class SearchApi
{
    public const int MaxQuery = 200, MaxLimit = 100, MaxDepth = 10_000, MaxFilterValues = 20, MaxSuggestions = 20;

    private static readonly Dictionary<string, SearchSort> Sorts = new(StringComparer.Ordinal)
    {
        ["relevance"] = SearchSort.Relevance, ["price-asc"] = SearchSort.PriceAscending, ["price-desc"] = SearchSort.PriceDescending, ["newest"] = SearchSort.Newest,
    };

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/search").WithTags("Search");
        api.MapGet("", Search)
            .WithName("SearchProducts")
            .WithSummary("Active products matching q (titles, descriptions, brands, categories, attribute values), ranked or sorted, paged, with facets and highlights; a misspelt q is corrected (didYouMean); without q, every product of the category filter (browsing)");
        api.MapGet("/suggest", Suggest)
            .WithName("SuggestSearches").WithSummary("Product titles, brands and categories starting with what the shopper typed so far");
        return routes;
    }

    private static async Task<Results<Ok<SearchResults>, ValidationProblem>> Search(
        ISearchIndex index, CancellationToken cancellationToken, string? q = null,
        [FromQuery] string[]? category = null, [FromQuery] string[]? brand = null, [FromQuery] string[]? price = null, [FromQuery] string[]? attribute = null,
        bool? inStock = null, string sort = "relevance", int page = 1, int limit = 20)
    {
        category ??= [];
        brand ??= [];
        price ??= [];
        attribute ??= [];
        var attributes = attribute.Select(a => a.Split(':', 2)).ToList();
        var errors = new FieldErrors()
            // Without words it browses: a category page lists its products with the same facets and sorts.
            .Check(q is null ? category.Length > 0 : IsText(q, MaxQuery), "q", $"A search has 1 to {MaxQuery} characters, not all spaces; only a search by category may leave it out.")
            .Check(category.Length <= MaxFilterValues && category.All(Identifiers.IsCode), "category", $"At most {MaxFilterValues} category ids, each " + Identifiers.CodeRule)
            .Check(brand.Length <= MaxFilterValues && brand.All(b => IsText(b, 200)), "brand", $"At most {MaxFilterValues} brands of 1 to 200 characters.")
            .Check(price.Length <= MaxFilterValues && price.All(p => PriceRanges.Find(p) is not null), "price",
                "A price range is one of " + string.Join(", ", PriceRanges.All.Select(r => r.Key)) + ".")
            .Check(attributes.Count <= MaxFilterValues && attributes.All(a => a is [var name, var value] && IsText(name, 50) && !name.Contains('=') && IsText(value, 100)), "attribute",
                $"At most {MaxFilterValues} attribute filters, each name:value (a name of 1 to 50 characters without '=', a value of 1 to 100).")
            .Check(Sorts.ContainsKey(sort), "sort", "The sort is one of " + string.Join(", ", Sorts.Keys) + ".")
            .Check(limit is >= 1 and <= MaxLimit, "limit", $"'limit' is between 1 and {MaxLimit}.")
            .Check(page >= 1 && (long)page * limit <= MaxDepth, "page", $"'page' is from 1, and page × limit at most {MaxDepth:N0}: narrow the search to go deeper.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var query = new SearchQuery(q?.Trim() ?? "", category.Distinct().ToList(), brand.Distinct().ToList(), price.Distinct().ToList(),
            attributes.GroupBy(a => a[0], a => a[1], StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Distinct().ToList(), StringComparer.Ordinal),
            inStock, Sorts[sort], page, limit);
        return TypedResults.Ok(await index.SearchAsync(query, cancellationToken));
    }

    private static async Task<Results<Ok<IReadOnlyList<Suggestion>>, ValidationProblem>> Suggest(ISearchIndex index, CancellationToken cancellationToken, string? q = null, int limit = 8)
    {
        var errors = new FieldErrors()
            .Check(IsText(q, 100), "q", "What to complete has 1 to 100 characters, not all spaces.")
            .Check(limit is >= 1 and <= MaxSuggestions, "limit", $"'limit' is between 1 and {MaxSuggestions}.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        return TypedResults.Ok(await index.SuggestAsync(q!, limit, cancellationToken));
    }

    /// <summary>Text a shopper typed: not blank, not too long, and without control characters (PostgreSQL cannot store NUL).</summary>
    private static bool IsText(string? value, int maxLength) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= maxLength && !value.Any(char.IsControl);
}
