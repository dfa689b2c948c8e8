using System.Reflection;
using Commerce.Runtime.Activations;
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
