namespace Commerce.Catalog.Search;

/// <summary>A SKU's units available to sell, as inventory last reported them.</summary>
public sealed record SkuStock(string Sku, int Available);

/// <summary>
/// What keeps the search index current: the consumer of the catalog-changes stream calls it. Both calls are
/// idempotent and order-tolerant for the same product (a document is rebuilt from the catalog tables as they are
/// now; a stock level replaces the one before), so a redelivered or replayed event does no harm.
/// </summary>
public interface ISearchIndexWriter
{
    /// <summary>Rebuilds the documents of these products from the catalog; a product archived or gone leaves the index.</summary>
    Task IndexProductsAsync(IReadOnlyCollection<string> productIds, CancellationToken cancellationToken);

    /// <summary>Records these SKUs' available units (the in-stock facet and ranking read them).</summary>
    Task SetStockAsync(IReadOnlyCollection<SkuStock> levels, CancellationToken cancellationToken);
}
