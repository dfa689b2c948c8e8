using System.Threading.Channels;
using Commerce.Runtime.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Runtime.Tests;

/// <summary>Several silos in this process on one PostgreSQL database, each with its own TCP port, and a cluster client.</summary>
public sealed class ClusterTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private sealed class RecordingObserver : IStockObserver
    {
        public Channel<int> Received { get; } = Channel.CreateUnbounded<int>();

        public Task StockChanged(string sku, int available) => Received.Writer.WriteAsync(available).AsTask();
    }

    [Fact]
    public async Task Grains_spread_over_the_silos_each_living_on_exactly_one_and_calls_cross_silos()
    {
        await using var a = await Silos.Clustered(database.ConnectionString);
        await using var b = await Silos.Clustered(database.ConnectionString);
        await using var client = await Silos.Client(database.ConnectionString);
        await Silos.WaitForBalance(a, b);
        var keys = Enumerable.Range(0, 100).Select(i => $"spread-{i}-{Guid.NewGuid():N}").ToList();

        // Both silos settle their partitions; every key answers from one silo, the same one each time.
        var first = await WhereAll(client.GrainFactory, keys);
        var second = await WhereAll(client.GrainFactory, keys);
        Assert.Equal(first, second);
        Assert.Equal(2, first.Values.Distinct().Count());

        // A grain calling a grain on the other silo, and the same through silo A's own factory.
        var pair = keys.First(k => first[k] != first[keys[0]]);
        Assert.Equal(first[pair], await client.GrainFactory.GetGrain<ILocatorGrain>(keys[0]).WhereIs(pair));
        Assert.Equal(first[keys[0]], await a.GrainFactory.GetGrain<ILocatorGrain>(keys[0]).Where());
        Assert.Equal(first[pair], await a.GrainFactory.GetGrain<ILocatorGrain>(pair).Where());

        // Each silo's telemetry tells its partitions and its view of the membership.
        var snapshotA = a.Services.GetRequiredService<Telemetry.SiloTelemetry>().Snapshot().Cluster!;
        var snapshotB = b.Services.GetRequiredService<Telemetry.SiloTelemetry>().Snapshot().Cluster!;
        Assert.Equal(Cluster.PartitionMap.Count, snapshotA.PartitionCount + snapshotB.PartitionCount);
        Assert.Empty(snapshotA.Partitions.Intersect(snapshotB.Partitions));
        Assert.Contains(snapshotA.Members, m => m.SiloId == snapshotB.SiloId && m.Status == "Active");
        Assert.Contains(first.Values.Distinct(), id => id == snapshotA.SiloId);
    }

    [Fact]
    public async Task An_observer_in_a_client_is_called_by_a_grain_on_a_silo()
    {
        await using var silo = await Silos.Clustered(database.ConnectionString);
        await using var client = await Silos.Client(database.ConnectionString);
        var observer = new RecordingObserver();
        var reference = client.GrainFactory.CreateObjectReference<IStockObserver>(observer);
        var grain = client.GrainFactory.GetGrain<ILocatorGrain>("observer-" + Guid.NewGuid());
        Assert.Equal(7, await grain.Notify(reference, 7));
        Assert.Equal(7, await observer.Received.Reader.ReadAsync().AsTask().WaitAsync(Silos.Patience));
    }

    [Fact]
    public async Task An_observer_on_one_silo_is_called_by_a_grain_on_another()
    {
        await using var a = await Silos.Clustered(database.ConnectionString);
        await using var b = await Silos.Clustered(database.ConnectionString);
        await Silos.WaitForBalance(a, b);
        var siloB = b.Services.GetRequiredService<SiloRuntime>().LocalEndpoint;
        var keys = Enumerable.Range(0, 200).Select(i => $"remote-observer-{i}-{Guid.NewGuid():N}");
        string? keyOnB = null;
        foreach (var key in keys)
        {
            if (await a.GrainFactory.GetGrain<ILocatorGrain>(key).Where() == siloB)
            {
                keyOnB = key;
                break;
            }
        }
        Assert.NotNull(keyOnB);
        var observer = new RecordingObserver();
        var reference = a.GrainFactory.CreateObjectReference<IStockObserver>(observer);
        Assert.Equal(3, await a.GrainFactory.GetGrain<ILocatorGrain>(keyOnB).Notify(reference, 3));
        Assert.Equal(3, await observer.Received.Reader.ReadAsync().AsTask().WaitAsync(Silos.Patience));
    }

    [Fact]
    public async Task A_silo_stopping_under_load_hands_its_grains_over_with_no_failed_call_and_no_lost_write()
    {
        await using var a = await Silos.Clustered(database.ConnectionString);
        await using var b = await Silos.Clustered(database.ConnectionString);
        await using var client = await Silos.Client(database.ConnectionString);
        await Silos.WaitForBalance(a, b);
        var keys = Enumerable.Range(0, 40).Select(i => $"handoff-{i}-{Guid.NewGuid():N}").ToList();
        var where = await WhereAll(client.GrainFactory, keys);
        Assert.Equal(2, where.Values.Distinct().Count());

        var acknowledged = new int[keys.Count];
        using var load = new CancellationTokenSource();
        var failures = new List<Exception>();
        var loops = keys.Select((key, i) => Task.Run(async () =>
        {
            var grain = client.GrainFactory.GetGrain<ILocatorGrain>(key);
            while (!load.IsCancellationRequested)
            {
                try
                {
                    acknowledged[i] = await grain.Increment();
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add(e);
                    }
                }
            }
        })).ToList();

        await Eventually.True(() => acknowledged.All(n => n >= 3));
        await b.StopAsync();
        var afterStop = (int[])acknowledged.Clone();
        await Eventually.True(() => acknowledged.Select((n, i) => n > afterStop[i] + 2).All(x => x));
        await load.CancelAsync();
        await Task.WhenAll(loops);

        Assert.Empty(failures);
        // Every key now lives on A, and its stored count is the last one acknowledged.
        var after = await WhereAll(client.GrainFactory, keys);
        Assert.Single(after.Values.Distinct());
        for (var i = 0; i < keys.Count; i++)
        {
            Assert.Equal(acknowledged[i] + 1, await client.GrainFactory.GetGrain<ILocatorGrain>(keys[i]).Increment());
        }
    }

    private static async Task<Dictionary<string, string>> WhereAll(IGrainFactory factory, IEnumerable<string> keys)
    {
        var result = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            result[key] = await factory.GetGrain<ILocatorGrain>(key).Where();
        }
        return result;
    }
}
