using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Persistence;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace Commerce.Grains.Tests;

/// <summary>Silos hosting the commerce grains on a real PostgreSQL, with short maintenance intervals.</summary>
internal static class Silos
{
    /// <summary>Long enough for any correct run on a loaded CI machine; only reached when something is broken.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <param name="services">Registrations made before the commerce grains' own (which only fill gaps): a clock, a saga interceptor.</param>
    public static Task<TestSilo> Start(string connectionString, Action<FlashSaleOptions>? sales = null, Action<IServiceCollection>? services = null) =>
        TestSilo.StartAsync(connectionString, s =>
        {
            services?.Invoke(s);
            s.Configure<InventoryOptions>(o => o.ExpiryBackstopPeriod = TimeSpan.FromMilliseconds(500));
            s.Configure<FlashSaleOptions>(o =>
            {
                o.TickInterval = TimeSpan.FromMilliseconds(20);
                o.WakeUpPeriod = TimeSpan.FromSeconds(1);
                sales?.Invoke(o);
            });
        });

    /// <summary>The stored state of a grain, read straight from PostgreSQL without activating it (also while no silo runs).</summary>
    public static async Task<TState?> StoredState<TState>(this PostgresDatabaseFixture database, string grainType, string key, string stateName) where TState : class
    {
        var stored = await new GrainStateStore(database.DataSource).ReadAsync(grainType, key, stateName, CancellationToken.None);
        return stored is null ? null : StateJson.Deserialize<TState>(stored.Json);
    }

    /// <summary>The stored version of a grain's state (null: nothing stored): unchanged means nothing was written.</summary>
    public static async Task<long?> StoredVersion(this PostgresDatabaseFixture database, string grainType, string key, string stateName) =>
        (await new GrainStateStore(database.DataSource).ReadAsync(grainType, key, stateName, CancellationToken.None))?.Version;

    public static string KeyOf(IAddressable grain) => grain.GetPrimaryKeyString();

    public static string NewKey(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];
}
