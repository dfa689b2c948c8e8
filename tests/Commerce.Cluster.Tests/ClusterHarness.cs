using Commerce.Cluster.TestGrains;
using Commerce.Runtime;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.PostgreSql;
using Commerce.Runtime.Testing;
using Npgsql;

namespace Commerce.Cluster.Tests;

/// <summary>Helpers shared by the multi-process cluster tests.</summary>
internal static class ClusterHarness
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>The grains the silo processes load besides their own.</summary>
    public static readonly System.Reflection.Assembly[] Grains = [typeof(FenceProbeGrain).Assembly];

    public static Task<TestCluster> StartClientAsync(string connectionString) =>
        TestCluster.StartAsync(options => options.ConfigureServices = services => services.AddPostgresClusterClient(connectionString, cluster =>
        {
            cluster.RoutingRefreshInterval = TimeSpan.FromMilliseconds(500);
        }, typeof(FenceProbeGrain).Assembly), silo: false);

    /// <summary>Waits until every partition is owned by the active silo rendezvous hashing picks, and there are <paramref name="silos"/> of them.</summary>
    public static Task WaitForBalanceAsync(NpgsqlDataSource database, int silos) => Eventually.True(async () =>
    {
        var active = new List<string>();
        await using (var command = database.CreateCommand("SELECT silo_id FROM cluster_silos WHERE status = 'active' ORDER BY silo_id"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                active.Add(reader.GetString(0));
            }
        }
        var owners = await OwnersAsync(database, CancellationToken.None);
        return active.Count == silos && Enumerable.Range(0, PartitionMap.Count).All(p => owners[p] == PartitionMap.DesiredOwner(p, active));
    }, $"{silos} active silo(s) holding the partitions rendezvous hashing gives them", Patience);

    public static async Task<string?[]> OwnersAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var owners = new string?[PartitionMap.Count];
        await using var command = database.CreateCommand("SELECT partition, owner FROM partition_leases");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            owners[reader.GetInt32(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        }
        return owners;
    }

    public static string? OwnerPrefix(SiloProcess silo) => $"127.0.0.1:{silo.SiloPort}@";

    /// <summary>A key of a grain type whose partition the given silo owns now.</summary>
    public static async Task<string> KeyOwnedByAsync(NpgsqlDataSource database, string grainType, SiloProcess silo, string prefix)
    {
        var owners = await OwnersAsync(database, CancellationToken.None);
        for (var i = 0; ; i++)
        {
            var key = $"{prefix}-{i}";
            if (owners[PartitionMap.PartitionOf(new GrainId(grainType, key))]?.StartsWith(OwnerPrefix(silo)!, StringComparison.Ordinal) == true)
            {
                return key;
            }
        }
    }
}
