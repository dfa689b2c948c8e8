using Commerce.Runtime.Cluster;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.Reminders;
using Commerce.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Commerce.Runtime.PostgreSql;

public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// Keeps grain state and reminders in PostgreSQL, and migrates the schema before anything else in
    /// the host starts (so the silo never polls a table that does not exist yet).
    /// </summary>
    public static IServiceCollection AddPostgresProviders(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddSingleton<IGrainStorage, PostgresGrainStorage>();
        services.AddSingleton<IReminderTable, PostgresReminderTable>();
        services.AddSingleton<IHostedService, PostgresSchemaMigration>();
        return services;
    }

    /// <summary>
    /// Makes this silo a cluster member coordinated through PostgreSQL: the membership table and the
    /// partition leases whose epochs fence every write. Call after <see cref="AddPostgresProviders"/>.
    /// </summary>
    public static IServiceCollection AddPostgresClustering(this IServiceCollection services, Action<ClusterOptions>? configure = null)
    {
        services.AddSingleton<IMembershipTable, PostgresMembershipTable>();
        services.AddSingleton<IPartitionLeaseTable, PostgresPartitionLeaseTable>();
        return services.AddClustering(configure);
    }

    /// <summary>
    /// A cluster client for processes that are not silos (a separate gateway, the CLI, benchmarks):
    /// it finds the silos and the partitions they own in PostgreSQL and calls them over TCP.
    /// <paramref name="grainAssemblies"/> are the assemblies of the grain classes it will call (for
    /// their grain type names; nothing is activated here).
    /// </summary>
    public static IServiceCollection AddPostgresClusterClient(this IServiceCollection services, string connectionString, Action<ClusterOptions>? configure, params System.Reflection.Assembly[] grainAssemblies)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddSingleton<IPartitionLeaseTable, PostgresPartitionLeaseTable>();
        return services.AddClusterClient(configure, grainAssemblies);
    }

    /// <summary>Runs migrations in the host's starting phase, before any hosted service's StartAsync.</summary>
    private sealed class PostgresSchemaMigration(NpgsqlDataSource dataSource) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) => PostgresMigrator.MigrateAsync(dataSource, cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
