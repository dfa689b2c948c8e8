using Commerce.Grains.CatalogChanges;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Streams;

namespace Commerce.Hosting;

/// <summary>
/// How the catalog-change stream is delivered, bound from <c>Commerce:CatalogStream</c>
/// (environment <c>Commerce__CatalogStream__PollPeriod</c>, ...). The lag from a published change to the
/// index is about <see cref="PollPeriod"/> plus the index write; a silo killed while delivering hands its
/// unconfirmed changes on after <see cref="VisibilityTimeout"/>.
/// </summary>
public sealed class CatalogStreamSettings
{
    public const string Section = "Commerce:CatalogStream";

    /// <summary>How often the silo owning the stream's queue reads new messages from PostgreSQL (one indexed query). Orleans' default is 100 ms.</summary>
    public TimeSpan PollPeriod { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The most messages the consumer applies in one call, so a burst becomes one index write.</summary>
    public int DeliveryBatchSize { get; set; } = 256;

    /// <summary>How long a dequeued, unconfirmed message stays hidden: after a crash, the wait before it is delivered again. Whole seconds.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an undelivered message is kept before it becomes a dead letter (a silo without an index writer leaves them waiting). Whole seconds.</summary>
    public TimeSpan ExpiryTimeout { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Failed deliveries (the index writer threw for a whole delivery window) before a message becomes a dead letter.</summary>
    public int MaxAttempts { get; set; } = 10;
}

/// <summary>
/// The catalog-change stream's provider, Orleans' ADO.NET streams on PostgreSQL (an alpha package: only the
/// search index depends on it, never a reservation or a checkout). Implicit subscriptions only, so no pub-sub
/// state is stored; one queue, so one consumer sees every change in order.
/// </summary>
public static class CatalogStream
{
    /// <summary>The silo side: publishes, and pulls the queue it owns to the consumer grain.</summary>
    public static ISiloBuilder AddCatalogStream(this ISiloBuilder silo, string connectionString)
    {
        silo.Services.AddOptions<CatalogStreamSettings>().BindConfiguration(CatalogStreamSettings.Section);
        silo.AddAdoNetStreams(CatalogChangeStream.Provider, stream =>
        {
            stream.ConfigureAdoNet(o => o.Configure<IOptions<CatalogStreamSettings>>((options, settings) =>
                Configure(options, settings.Value, connectionString)));
            stream.ConfigurePullingAgent(o => o.Configure<IOptions<CatalogStreamSettings>>((options, settings) =>
            {
                options.GetQueueMsgsTimerPeriod = settings.Value.PollPeriod;
                options.BatchContainerBatchSize = settings.Value.DeliveryBatchSize;
            }));
            stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
        });
        silo.Services.TryAddSingleton<ICatalogChangeFeed, StreamCatalogChangeFeed>();
        return silo;
    }

    /// <summary>The cluster client side (a gateway publishing catalog writes): publishes only.</summary>
    public static IClientBuilder AddCatalogStream(this IClientBuilder client, string connectionString)
    {
        client.Services.AddOptions<CatalogStreamSettings>().BindConfiguration(CatalogStreamSettings.Section);
        client.AddAdoNetStreams(CatalogChangeStream.Provider, stream =>
        {
            stream.ConfigureAdoNet(o => o.Configure<IOptions<CatalogStreamSettings>>((options, settings) =>
                Configure(options, settings.Value, connectionString)));
            stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
        });
        client.Services.TryAddSingleton<ICatalogChangeFeed, StreamCatalogChangeFeed>();
        return client;
    }

    private static void Configure(AdoNetStreamOptions options, CatalogStreamSettings settings, string connectionString)
    {
        options.Invariant = CommerceCluster.Invariant;
        options.ConnectionString = connectionString;
        options.VisibilityTimeout = settings.VisibilityTimeout;
        options.ExpiryTimeout = settings.ExpiryTimeout;
        options.MaxAttempts = settings.MaxAttempts;
    }
}
