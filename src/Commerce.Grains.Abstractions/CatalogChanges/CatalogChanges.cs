using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Streams;

namespace Commerce.Grains.CatalogChanges;

/// <summary>
/// The durable stream that keeps the search index current: catalog writes and stock levels are published
/// on it, and its consumer applies them to the index. One stream on one queue, so a single consumer sees
/// every change in publication order and can apply a batch of them at once.
/// </summary>
public static class CatalogChangeStream
{
    /// <summary>The stream provider's name (Orleans' ADO.NET streams on PostgreSQL, configured by Commerce.Hosting).</summary>
    public const string Provider = "catalog";

    /// <summary>The stream namespace; the consumer grain subscribes to it implicitly.</summary>
    public const string Namespace = "catalog-changes";

    /// <summary>The one stream every change goes on (also the key of its consumer grain).</summary>
    public static readonly StreamId Id = StreamId.Create(Namespace, "all");
}

/// <summary>A change the search index has to follow.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.CatalogChange")]
public abstract record CatalogChange;

/// <summary>These products' catalog rows changed (or were archived): their documents are rebuilt from the catalog as it is then.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.ProductsChanged")]
public sealed record ProductsChanged([property: Id(0)] IReadOnlyList<string> ProductIds) : CatalogChange;

/// <summary>A SKU's available units after a committed stock change (the latest level replaces the one before).</summary>
[GenerateSerializer, Immutable, Alias("Commerce.StockChanged")]
public sealed record StockChanged([property: Id(0)] string Sku, [property: Id(1)] int Available) : CatalogChange;

/// <summary>
/// Publishes catalog changes on <see cref="CatalogChangeStream"/>: the one way in, from silos and from cluster
/// clients (gateways) alike. A completed call means the change is stored in PostgreSQL and will reach the
/// index (at least once), even if every silo dies right after.
/// </summary>
public interface ICatalogChangeFeed
{
    /// <summary>Call after a committed catalog write (product, its SKUs, an import batch) with the products it touched.</summary>
    Task ProductsChangedAsync(IReadOnlyCollection<string> productIds);

    /// <summary>A SKU's available units after a committed change; the SKU's inventory grain calls it, coalesced and off its request path.</summary>
    Task StockChangedAsync(string sku, int available);
}

/// <summary>The feed on the process's stream provider (resolved per call: the provider exists once Orleans has started).</summary>
public sealed class StreamCatalogChangeFeed(IServiceProvider services) : ICatalogChangeFeed
{
    public Task ProductsChangedAsync(IReadOnlyCollection<string> productIds)
    {
        ArgumentNullException.ThrowIfNull(productIds);
        var distinct = productIds.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 0 ? Task.CompletedTask : Stream().OnNextAsync(new ProductsChanged(distinct));
    }

    public Task StockChangedAsync(string sku, int available)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sku);
        return Stream().OnNextAsync(new StockChanged(sku, available));
    }

    private IAsyncStream<CatalogChange> Stream() =>
        services.GetRequiredKeyedService<IStreamProvider>(CatalogChangeStream.Provider).GetStream<CatalogChange>(CatalogChangeStream.Id);
}
