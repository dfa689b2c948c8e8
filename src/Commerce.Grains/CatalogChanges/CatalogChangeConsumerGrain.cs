using Commerce.Catalog.Search;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Commerce.Grains.CatalogChanges;

/// <summary>The consumer of <see cref="CatalogChangeStream"/>: no methods, Orleans activates it for the stream.</summary>
[Alias("Commerce.ICatalogChangeConsumerGrain")]
public interface ICatalogChangeConsumerGrain : IGrainWithStringKey;

/// <summary>
/// Applies catalog changes to the search index. Orleans hands it up to
/// <c>Commerce:CatalogStream:DeliveryBatchSize</c> messages at once: their product ids become one
/// <see cref="ISearchIndexWriter.IndexProductsAsync"/> and their stock levels (the latest per SKU) one
/// <see cref="ISearchIndexWriter.SetStockAsync"/>. The batch is confirmed only when both returned; a writer
/// that throws gets the batch again, and a silo that dies leaves it to be delivered again — at least once,
/// which the idempotent writer makes harmless. Activated only on silos that have a writer
/// (<see cref="CatalogChangeConsumers"/>).
/// </summary>
[ImplicitStreamSubscription(CatalogChangeStream.Namespace)]
[GrainType("CatalogChangeConsumer")]
internal sealed class CatalogChangeConsumerGrain(ISearchIndexWriter index, ILogger<CatalogChangeConsumerGrain> logger)
    : Grain, ICatalogChangeConsumerGrain, IStreamSubscriptionObserver, IAsyncBatchObserver<CatalogChange>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<CatalogChange>().ResumeAsync(this);

    public async Task OnNextAsync(IList<SequentialItem<CatalogChange>> items)
    {
        var products = new HashSet<string>(StringComparer.Ordinal);
        var stock = new Dictionary<string, SkuStock>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            switch (item.Item)
            {
                case ProductsChanged changed:
                    products.UnionWith(changed.ProductIds);
                    break;
                case StockChanged level:
                    // In publication order: the last level of a SKU is its newest.
                    stock[level.Sku] = new SkuStock(level.Sku, level.Available);
                    break;
            }
        }
        var cancellation = CancellationToken.None;
        if (products.Count > 0)
        {
            await index.IndexProductsAsync(products, cancellation);
        }
        if (stock.Count > 0)
        {
            await index.SetStockAsync(stock.Values, cancellation);
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        logger.LogWarning(ex, "The catalog-change stream reported an error to its consumer");
        return Task.CompletedTask;
    }
}
