using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Orleans.Storage;

namespace Commerce.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>The migration component of <c>grain_state</c> and <c>grain_journal</c>.</summary>
    public const string MigrationComponent = "grains";

    /// <summary>
    /// The process's one <see cref="NpgsqlDataSource"/> (every library of the project shares it),
    /// registered once; later calls with the same connection string add nothing.
    /// </summary>
    public static IServiceCollection AddPostgres(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.TryAddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        return services;
    }

    /// <summary>
    /// Grain state in PostgreSQL for a silo: the schema (migrated before the silo starts), the
    /// <see cref="JournaledStateAttribute"/> facet for hot grains, the Orleans storage provider
    /// <see cref="PostgresGrainStorage.Name"/> for cold ones, and the filter that lets PostgreSQL's
    /// errors from any grain reach callers in other processes.
    /// </summary>
    public static IServiceCollection AddGrainStatePersistence(this IServiceCollection services)
    {
        services.AddPostgresMigrations(typeof(GrainStateStore).Assembly, MigrationComponent);
        services.TryAddSingleton<GrainStateStore>();
        services.TryAddSingleton<StorageMetrics>();
        services.AddOptions<StateCommitterOptions>();
        services.TryAddSingleton<StateCommitter>();
        services.TryAddSingleton<IAttributeToFactoryMapper<JournaledStateAttribute>, JournaledStateAttributeMapper>();
        services.AddKeyedSingleton<IGrainStorage, PostgresGrainStorage>(PostgresGrainStorage.Name);
        services.AddSingleton<IIncomingGrainCallFilter, DatabaseFaultsFilter>();
        return services;
    }
}
