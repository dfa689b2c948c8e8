using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Catalog.Import;

/// <summary>Wakes this process's worker when a job is queued here, so that it need not wait for its next poll.</summary>
public sealed class ImportJobSignal
{
    private readonly SemaphoreSlim _queued = new(0, 1);

    public void JobQueued()
    {
        if (_queued.CurrentCount == 0)
        {
            try { _queued.Release(); } catch (SemaphoreFullException) { }
        }
    }

    internal Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _queued.WaitAsync(timeout, cancellationToken);
}

/// <summary>
/// Runs queued imports in the background, one at a time per process. A hosted worker rather than a grain per
/// job: an import is a long loop of PostgreSQL transactions with nothing to keep in memory between chunks, so
/// the job row itself is the state. Workers of every process claim jobs with FOR UPDATE SKIP LOCKED and hold them
/// by a lease each chunk renews; a crashed worker's job is claimed again once its lease runs out and resumes after
/// its last committed chunk, and the fencing token in every chunk's transaction keeps a late worker from
/// committing after the take-over. The products each chunk changed go on the catalog-change stream once the
/// chunk has committed, so the search index follows an import as it runs; a chunk whose publish failed is
/// published again at the next poll (<see cref="ImportChangePublisher"/>).
/// </summary>
internal sealed class CatalogImportWorker(CatalogImportRunner runner, ImportJobSignal signal, ImportChangePublisher publisher,
    IOptions<CatalogImportOptions> options, ILogger<CatalogImportWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunWorker)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await publisher.PublishLeftOver(stoppingToken);
                while (await runner.RunNextJob(publisher.PublishCommitted, stoppingToken))
                {
                }
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // PostgreSQL away: the jobs wait in their table; look again at the next poll.
                logger.LogWarning(e, "Catalog imports could not be claimed");
                await Task.Delay(options.Value.PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}

public static class CatalogImportServiceCollectionExtensions
{
    /// <summary>Import jobs: their store, the runner and this process's background worker (settings under <see cref="CatalogImportOptions.Section"/>).</summary>
    public static IServiceCollection AddCatalogImports(this IServiceCollection services)
    {
        services.AddOptions<CatalogImportOptions>().BindConfiguration(CatalogImportOptions.Section);
        services.AddSingleton<CatalogImportStore>();
        services.AddSingleton<CatalogImportRunner>();
        services.AddSingleton<ImportChangePublisher>();
        services.AddSingleton<ImportJobSignal>();
        services.AddHostedService<CatalogImportWorker>();
        return services;
    }
}
