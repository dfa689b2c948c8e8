using Commerce.Grains.CatalogChanges;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Commerce.Cluster.Tests;

/// <summary>
/// The catalog-change stream under a real crash: a cluster client (as a gateway would) publishes product
/// changes while a silo process consumes them into a <see cref="RecordingSearchIndex"/>; the silo is killed
/// with SIGKILL mid-stream and started again. Every acknowledged change reaches the index — none lost, some
/// perhaps twice (at-least-once; the writer is idempotent).
/// </summary>
public sealed class CatalogStreamCrashTests(ITestOutputHelper output)
{
    private const int Changes = 200;

    /// <summary>The indexing silo (<see cref="Repository.IndexedSiloAssembly"/>) delivers quickly and hands unconfirmed messages on after 2 s.</summary>
    private static readonly Dictionary<string, string> QuickRedelivery = new()
    {
        ["Commerce__CatalogStream__PollPeriod"] = "00:00:00.100",
        ["Commerce__CatalogStream__VisibilityTimeout"] = "00:00:02",
    };

    [Fact]
    public async Task Killing_the_consuming_silo_mid_stream_loses_no_acknowledged_change()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await RecordingSearchIndex.CreateTableAsync(database.DataSource);
        await using var silos = await SiloGroup.StartAsync(database.ConnectionString, database.DataSource,
            [("indexer", new SiloProcessOptions { Settings = ClusterHarness.SiloSettings.With(QuickRedelivery), Program = new SiloProgram(Repository.IndexedSiloAssembly, []) })]);
        await using var client = await ClusterClient.StartAsync(database.ConnectionString);
        var feed = client.Client.ServiceProvider.GetRequiredService<ICatalogChangeFeed>();
        var ids = Enumerable.Range(0, Changes).Select(i => $"crash-{i:D4}").ToList();
        Task<HashSet<string>> Indexed() => RecordingSearchIndex.IndexedProductsAsync(database.DataSource);

        // The first half, and the consumer at work on it...
        foreach (var id in ids[..(Changes / 2)])
        {
            await feed.ProductsChangedAsync([id]);
        }
        await Eventually.Value(Indexed, indexed => indexed.Count > 0, "the consumer applying changes", ClusterHarness.Patience);
        // ...the second half acknowledged, then the silo killed before it could confirm (or even read) them all.
        foreach (var id in ids[(Changes / 2)..])
        {
            await feed.ProductsChangedAsync([id]);
        }
        await silos[0].KillAsync();
        var beforeCrash = (await Indexed()).Count;
        output.Report($"catalog stream crash: {beforeCrash} of {Changes} changes indexed when the silo was killed");

        await silos.RestartAsync(silos[0]);
        var indexed = await Eventually.Value(Indexed, indexed => ids.All(indexed.Contains), "every acknowledged change indexed after the restart", ClusterHarness.Patience,
            indexed => $"{ids.Count(indexed.Contains)} of {Changes}");
        Assert.Equal(Changes, indexed.Count);
    }
}
