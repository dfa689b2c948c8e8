using Commerce.Grains.FlashSales;
using Commerce.Runtime;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.PostgreSql;
using Commerce.Runtime.Invocation;
using Commerce.Testing.Postgres;
using Commerce.Runtime.Telemetry;
using Commerce.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Grains.Tests;

/// <summary>Silos hosting the commerce grains on a real PostgreSQL, with short maintenance intervals.</summary>
internal static class Silos
{
    /// <summary>Long enough for any correct run on a loaded CI machine; only reached when something is broken.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <param name="services">Registrations made before the commerce grains' own (which only fill gaps): a clock, a saga interceptor.</param>
    public static Task<TestCluster> Start(string connectionString, Action<SiloOptions>? silo = null, Action<FlashSaleOptions>? sales = null, Action<IServiceCollection>? services = null) =>
        TestCluster.StartAsync(options =>
        {
            options.GrainAssemblies.Add(CommerceGrains.Assembly);
            options.ConfigureSilo = s =>
            {
                s.CollectionQuantum = TimeSpan.FromMilliseconds(200);
                s.CallTimeoutCheckInterval = TimeSpan.FromMilliseconds(200);
                s.ReminderPollInterval = TimeSpan.FromMilliseconds(100);
                s.MinimumReminderPeriod = TimeSpan.FromMilliseconds(100);
                silo?.Invoke(s);
            };
            options.ConfigureServices = s =>
            {
                services?.Invoke(s);
                s.AddPostgresProviders(connectionString);
                s.AddCommerceGrains();
                s.Configure<FlashSaleOptions>(o =>
                {
                    o.TickInterval = TimeSpan.FromMilliseconds(20);
                    o.WakeUpPeriod = TimeSpan.FromSeconds(1);
                    sales?.Invoke(o);
                });
            };
        });

    /// <summary>Storage writes and reads this silo made so far.</summary>
    public static (long Writes, long Reads) StorageOperations(this TestCluster silo)
    {
        var storage = silo.Services.GetRequiredService<SiloTelemetry>().Snapshot().Storage;
        return (storage.Writes.Count, storage.Reads.Count);
    }

    /// <summary>The stored state of a grain, read straight from PostgreSQL without activating it (also while no silo runs).</summary>
    public static async Task<TState?> StoredState<TState>(this PostgresDatabaseFixture database, string grainType, string key, string stateName) where TState : class
    {
        var stored = await new PostgresGrainStorage(database.DataSource).ReadAsync(new GrainId(grainType, key), stateName, CancellationToken.None);
        return stored is null ? null : Runtime.Serialization.GrainSerializer.Deserialize<TState>(stored.Json);
    }

    public static string KeyOf(IAddressable grain) => ((GrainReference)grain).GrainId.Key;
    public static string NewKey(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];
}
