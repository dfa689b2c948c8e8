using System.Reflection;
using Commerce.Runtime.Activations;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.Reminders;
using Commerce.Runtime.Storage;
using Commerce.Runtime.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Runtime.Hosting;

public static class GrainRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Adds a silo to the host: the grain classes of <paramref name="grainAssemblies"/>, an
    /// <see cref="IGrainFactory"/>, and the silo lifecycle. Storage and reminder providers are
    /// registered separately (PostgreSQL in production, in-memory in runtime unit tests).
    /// </summary>
    public static IServiceCollection AddGrainRuntime(this IServiceCollection services, Action<SiloOptions>? configure, params Assembly[] grainAssemblies)
    {
        var registry = new GrainRegistry();
        foreach (var assembly in grainAssemblies)
        {
            registry.AddAssembly(assembly);
        }
        var options = services.AddOptions<SiloOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.AddSingleton(registry);
        services.AddSingleton<RuntimeMetrics>(_ => new RuntimeMetrics(registry));
        services.AddSingleton<SiloRuntime>();
        services.AddSingleton(sp => sp.GetRequiredService<SiloRuntime>().GrainFactory);
        services.AddSingleton(sp => new SiloTelemetry(sp.GetRequiredService<SiloRuntime>()));
        services.AddHostedService<Silo>();
        return services;
    }

    /// <summary>
    /// Makes this silo a member of a cluster: membership, partition leases with fencing, and calls
    /// over TCP to the other silos. Needs an <see cref="IMembershipTable"/> and an
    /// <see cref="IPartitionLeaseTable"/> (e.g. AddPostgresClustering).
    /// </summary>
    public static IServiceCollection AddClustering(this IServiceCollection services, Action<ClusterOptions>? configure)
    {
        var options = services.AddOptions<ClusterOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        // Registered after the silo's own hosted service, so it stops first: partitions are handed
        // off (grains flushed) before the silo deactivates whatever is left.
        services.AddHostedService<ClusterHost>();
        return services;
    }

    /// <summary>
    /// Makes this process a cluster client: it hosts no grains and owns no partition; every grain
    /// call goes to the owning silo over TCP. Observers created here are served here.
    /// </summary>
    public static IServiceCollection AddClusterClient(this IServiceCollection services, Action<ClusterOptions>? configure, params Assembly[] grainAssemblies)
    {
        services.AddGrainRuntime(null, grainAssemblies);
        var options = services.AddOptions<ClusterOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.AddSingleton<ClusterClientMarker>();
        services.AddHostedService<ClusterClientHost>();
        return services;
    }

    /// <summary>Keeps grain state in process memory: for runtime unit tests only, never durable.</summary>
    public static IServiceCollection AddInMemoryGrainStorage(this IServiceCollection services)
    {
        services.TryAddSingleton<IGrainStorage, InMemoryGrainStorage>();
        return services;
    }

    /// <summary>Keeps reminders in process memory: for runtime unit tests only.</summary>
    public static IServiceCollection AddInMemoryReminderTable(this IServiceCollection services)
    {
        services.TryAddSingleton<IReminderTable, InMemoryReminderTable>();
        return services;
    }
}
