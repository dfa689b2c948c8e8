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
