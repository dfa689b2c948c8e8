using Commerce.Runtime.PostgreSql;
using Commerce.Runtime.Testing;
using Npgsql;

namespace Commerce.Bench.Harness;

/// <summary>Silo processes and cluster clients for benchmarks, on the benchmark's PostgreSQL.</summary>
public static class BenchCluster
{
    /// <summary>
    /// A cluster client in this process (no grains activated here): every call goes over loopback
    /// TCP to the silo that owns the grain, the same hop a Redis or PostgreSQL client makes.
    /// </summary>
    public static Task<TestCluster> StartClientAsync(string connectionString, params System.Reflection.Assembly[] grainAssemblies) =>
        TestCluster.StartAsync(options => options.ConfigureServices = services => services.AddPostgresClusterClient(connectionString, cluster =>
        {
            cluster.RoutingRefreshInterval = TimeSpan.FromMilliseconds(500);
        }, grainAssemblies), silo: false);

    /// <summary>Waits until <paramref name="silos"/> silos are active and every partition has a live lease.</summary>
    public static async Task WaitForPartitionsAsync(string connectionString, int silos, TimeSpan? patience = null)
    {
        await using var database = NpgsqlDataSource.Create(connectionString);
        using var timeout = new CancellationTokenSource(patience ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            await using (var command = database.CreateCommand(
                "SELECT (SELECT count(*) FROM cluster_silos WHERE status = 'active'), " +
                "(SELECT count(DISTINCT owner) FROM partition_leases WHERE owner IS NOT NULL AND expires_at > now()), " +
                "(SELECT count(*) FROM partition_leases WHERE owner IS NULL OR expires_at <= now())"))
            await using (var reader = await command.ExecuteReaderAsync(timeout.Token))
            {
                await reader.ReadAsync(timeout.Token);
                if (reader.GetInt64(0) == silos && reader.GetInt64(1) == silos && reader.GetInt64(2) == 0)
                {
                    return;
                }
            }
            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Empties the benchmark database (a fresh start per approach), keeping nothing from earlier runs.</summary>
    public static async Task ResetDatabaseAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var database = builder.Database!;
        builder.Database = "postgres";
        builder.Pooling = false;
        await using var admin = new NpgsqlConnection(builder.ConnectionString);
        await admin.OpenAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin))
        {
            await drop.ExecuteNonQueryAsync();
        }
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin))
        {
            await create.ExecuteNonQueryAsync();
        }
    }
}
