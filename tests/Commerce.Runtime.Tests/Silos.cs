using Commerce.Runtime.Hosting;
using Commerce.Runtime.PostgreSql;
using Commerce.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Runtime.Tests;

/// <summary>Test silos with short maintenance intervals, on in-memory or real PostgreSQL providers.</summary>
internal static class Silos
{
    /// <summary>Long enough for any correct run on a loaded CI machine; only reached when something is broken.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static Task<TestCluster> InMemory(Action<SiloOptions>? silo = null, Action<IServiceCollection>? services = null) =>
        TestCluster.StartAsync(options =>
        {
            options.GrainAssemblies.Add(typeof(CounterGrain).Assembly);
            options.ConfigureSilo = s => Fast(s, silo);
            options.ConfigureServices = s =>
            {
                s.AddInMemoryGrainStorage().AddInMemoryReminderTable();
                services?.Invoke(s);
            };
        });

    public static Task<TestCluster> OnPostgres(string connectionString, Action<SiloOptions>? silo = null) =>
        TestCluster.StartAsync(options =>
        {
            options.GrainAssemblies.Add(typeof(CounterGrain).Assembly);
            options.ConfigureSilo = s => Fast(s, silo);
            options.ConfigureServices = s => s.AddPostgresProviders(connectionString);
        });

    private static void Fast(SiloOptions options, Action<SiloOptions>? more)
    {
        options.CollectionQuantum = TimeSpan.FromMilliseconds(100);
        options.CallTimeoutCheckInterval = TimeSpan.FromMilliseconds(100);
        options.ReminderPollInterval = TimeSpan.FromMilliseconds(100);
        options.MinimumReminderPeriod = TimeSpan.FromMilliseconds(100);
        more?.Invoke(options);
    }
}
