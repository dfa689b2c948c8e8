using Commerce.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Commerce.Grains.Tests;

/// <summary>
/// One silo of Orleans' in-process test host with the commerce grains on a real PostgreSQL, and a
/// cluster client: every call crosses Orleans' serializer, as calls from a gateway do. Stop and
/// restart it on the same database to prove what survives.
/// </summary>
internal sealed class TestSilo : IAsyncDisposable
{
    private readonly InProcessTestCluster _cluster;

    private TestSilo(InProcessTestCluster cluster) => _cluster = cluster;

    /// <param name="services">Registrations made before the commerce grains' own (which only fill gaps): a clock, a saga interceptor, options.</param>
    public static async Task<TestSilo> StartAsync(string connectionString, Action<IServiceCollection>? services = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseCommercePostgres(connectionString);
            // Tests run sagas and backstops on sub-second periods; production keeps Orleans' one minute.
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromMilliseconds(100));
        });
        builder.ConfigureSiloHost((_, host) =>
        {
            services?.Invoke(host.Services);
            host.Services.AddCommerceGrains();
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new TestSilo(cluster);
    }

    /// <summary>The cluster client's grain factory: calls are serialized as they are from any gateway.</summary>
    public IGrainFactory GrainFactory => _cluster.Client;

    /// <summary>The running silo's services (the catalog store, the clock...).</summary>
    public IServiceProvider Services => _cluster.Silos.Single().ServiceProvider;

    /// <summary>Stops the silo gracefully: its activations deactivate.</summary>
    public Task StopAsync() => _cluster.StopAllSilosAsync();

    /// <summary>Stops the silo (if it runs) and starts a new one, with a new client, on the same database.</summary>
    public async Task RestartAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.StartSilosAsync(1);
        await _cluster.InitializeClientAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();
}
