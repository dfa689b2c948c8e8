using Commerce.Grains.CatalogChanges;
using Microsoft.Extensions.Logging;

namespace Commerce.Catalog.Import;

/// <summary>
/// Puts the products each committed import chunk changed on the catalog-change stream, durably: a chunk commits
/// unpublished (catalog_import_chunks.published), is marked once its publish returned, and a chunk whose publish
/// failed (the stream away, the process stopped in between) is published again by <see cref="PublishLeftOver"/>,
/// which the worker calls at every poll. Publishing twice is harmless: the index writer is idempotent.
/// </summary>
public sealed class ImportChangePublisher(CatalogImportStore store, ICatalogChangeFeed changes, ILogger<ImportChangePublisher> logger)
{
    /// <summary>Chunks published again per call, oldest first.</summary>
    private const int LeftOverBatch = 100;

    /// <summary>After a chunk's commit (the runner's callback). Never throws but for cancellation: the chunk's rows are in either way.</summary>
    public async Task PublishCommitted(CommittedChunk chunk, CancellationToken cancellationToken)
    {
        if (chunk.ChangedProducts.Count > 0)
        {
            await Publish(new ChunkChanges(chunk.JobId, chunk.FirstRow, chunk.ChangedProducts), cancellationToken);
        }
    }

    /// <summary>Publishes the committed chunks not yet published, oldest first, stopping at the first that fails again.</summary>
    public async Task PublishLeftOver(CancellationToken cancellationToken)
    {
        foreach (var chunk in await store.Unpublished(LeftOverBatch, cancellationToken))
        {
            if (!await Publish(chunk, cancellationToken))
            {
                return;
            }
        }
    }

    private async Task<bool> Publish(ChunkChanges chunk, CancellationToken cancellationToken)
    {
        try
        {
            await changes.ProductsChangedAsync(chunk.ChangedProducts);
            await store.MarkPublished(chunk, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Catalog import {JobId}: the {Count} products changed by rows {FirstRow}+ could not be published for the search index; published again at the next poll",
                chunk.JobId, chunk.ChangedProducts.Count, chunk.FirstRow);
            return false;
        }
    }
}
