using Commerce.Runtime.Cluster;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.PostgreSql;
using Commerce.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;
using Commerce.Runtime;

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

    /// <summary>A clustered silo on a free port, with timings short enough for tests.</summary>
    public static Task<TestCluster> Clustered(string connectionString, Action<ClusterOptions>? cluster = null) =>
        TestCluster.StartAsync(options =>
        {
            options.GrainAssemblies.Add(typeof(CounterGrain).Assembly);
            options.ConfigureSilo = s => Fast(s, null);
            options.ConfigureServices = s => s.AddPostgresProviders(connectionString).AddPostgresClustering(c =>
            {
                FastCluster(c);
                cluster?.Invoke(c);
            });
        });

    public static Task<TestCluster> Client(string connectionString) =>
        TestCluster.StartAsync(options =>
        {
            options.ConfigureSilo = s => Fast(s, null);
            options.ConfigureServices = s => s.AddPostgresClusterClient(connectionString, FastCluster, typeof(CounterGrain).Assembly);
        }, silo: false);

    /// <summary>Waits until every silo holds exactly the partitions rendezvous hashing gives it among them.</summary>
    public static Task WaitForBalance(params TestCluster[] silos) => Eventually.True(() =>
    {
        var runtimes = silos.Select(s => s.Services.GetRequiredService<SiloRuntime>()).ToList();
        var ids = runtimes.Select(r => r.Membership!.SiloId).ToList();
        return runtimes.All(r =>
        {
            var owned = r.Ownership!.OwnedPartitions.ToHashSet();
            return Enumerable.Range(0, PartitionMap.Count).All(p => owned.Contains(p) == (PartitionMap.DesiredOwner(p, ids) == r.Membership!.SiloId));
        });
    }, "every partition on the silo rendezvous hashing picks", Patience);

    public static void FastCluster(ClusterOptions cluster)
    {
        cluster.SiloPort = 0;
        cluster.ProbeInterval = TimeSpan.FromMilliseconds(200);
        cluster.ProbeTimeout = TimeSpan.FromSeconds(1);
        cluster.LeaseDuration = TimeSpan.FromSeconds(3);
        cluster.LeaseRenewInterval = TimeSpan.FromMilliseconds(300);
        cluster.RoutingRefreshInterval = TimeSpan.FromMilliseconds(300);
    }

    private static void Fast(SiloOptions options, Action<SiloOptions>? more)
    {
        options.CollectionQuantum = TimeSpan.FromMilliseconds(100);
        options.CallTimeoutCheckInterval = TimeSpan.FromMilliseconds(100);
        options.ReminderPollInterval = TimeSpan.FromMilliseconds(100);
        options.MinimumReminderPeriod = TimeSpan.FromMilliseconds(100);
        more?.Invoke(options);
    }
}
