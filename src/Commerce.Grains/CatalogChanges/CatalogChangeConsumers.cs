using Commerce.Catalog.Search;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Commerce.Grains.CatalogChanges;

/// <summary>
/// Whether this silo consumes the catalog-change stream: only with an <see cref="ISearchIndexWriter"/>
/// registered. Without one its pulling agents stay stopped, so no event is taken from PostgreSQL to be
/// dropped: they wait there (up to <c>Commerce:CatalogStream:ExpiryTimeout</c>) for a silo that has a writer.
/// Publishing is unaffected.
/// </summary>
internal static class CatalogChangeConsumers
{
    public static IServiceCollection AddCatalogChangeConsumer(this IServiceCollection services)
    {
        services.AddOptions<StreamLifecycleOptions>(CatalogChangeStream.Provider)
            .PostConfigure<IServiceProviderIsService>((options, registered) =>
            {
                if (!registered.IsService(typeof(ISearchIndexWriter)))
                {
                    options.StartupState = StreamLifecycleOptions.RunState.Initialized;
                }
            });
        services.AddHostedService<ConsumerStartupLog>();
        return services;
    }

    /// <summary>Says once at startup whether this silo feeds the search index.</summary>
    private sealed class ConsumerStartupLog(IServiceProviderIsService registered, ILogger<ConsumerStartupLog> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (registered.IsService(typeof(ISearchIndexWriter)))
            {
                logger.LogInformation("Catalog-change stream: this silo applies catalog and stock changes to the search index");
            }
            else
            {
                logger.LogWarning("Catalog-change stream: no ISearchIndexWriter is registered, so this silo does not consume the stream; changes stay queued in PostgreSQL until a silo with one runs");
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
