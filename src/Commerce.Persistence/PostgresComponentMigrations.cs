using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Commerce.Persistence;

public static class PostgresComponentMigrations
{
    /// <summary>
    /// Applies the migrations embedded in <paramref name="migrationsAssembly"/> (under <c>Migrations/</c>)
    /// as <paramref name="component"/> in the host's starting phase, before any hosted service (the silo) starts: a
    /// library that owns tables (catalog, accounts, orders) registers its migrations once here.
    /// </summary>
    public static IServiceCollection AddPostgresMigrations(this IServiceCollection services, Assembly migrationsAssembly, string component)
    {
        ArgumentNullException.ThrowIfNull(migrationsAssembly);
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        // Several libraries may ask for the same component (the gateway and the grains both use the catalog): migrate it once.
        if (services.Any(d => d.ServiceType == typeof(ComponentRegistration) && d.ImplementationInstance is ComponentRegistration r && r.Component == component))
        {
            return services;
        }
        services.AddSingleton(new ComponentRegistration(component));
        services.AddSingleton<IHostedService>(provider => new ComponentMigration(provider.GetRequiredService<NpgsqlDataSource>(), migrationsAssembly, component));
        return services;
    }

    private sealed record ComponentRegistration(string Component);

    private sealed class ComponentMigration(NpgsqlDataSource dataSource, Assembly assembly, string component) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) => PostgresMigrator.MigrateAsync(dataSource, assembly, component, cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
