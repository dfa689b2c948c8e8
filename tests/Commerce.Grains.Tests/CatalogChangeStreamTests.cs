using Commerce.Catalog.Search;
using Commerce.Grains.CatalogChanges;
using Commerce.Grains.Inventory;
using Commerce.Hosting;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace Commerce.Grains.Tests;

/// <summary>
/// The catalog-change stream on Orleans' ADO.NET streams over a real PostgreSQL: what is published reaches the
/// search-index writer (a <see cref="RecordingSearchIndex"/>, which keeps what it is told in the database),
/// stock levels follow committed inventory changes without one event per reservation, and nothing published
/// is lost while no silo consumes.
/// </summary>
public sealed class CatalogChangeStreamTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private Task<TestSilo> StartSilo(bool withWriter = true, TimeSpan? stockPublishInterval = null) =>
        StartSilo(database.Database, withWriter, stockPublishInterval);

    /// <param name="serviceId">Stream messages belong to a service; Orleans' test host picks a new one per cluster unless told.</param>
    private static async Task<TestSilo> StartSilo(PostgresTestDatabase db, bool withWriter = true, TimeSpan? stockPublishInterval = null, string? serviceId = null)
    {
        await RecordingSearchIndex.CreateTableAsync(db.DataSource);
        return await Silos.Start(db.ConnectionString, services: s =>
        {
            if (withWriter)
            {
                s.AddSingleton<ISearchIndexWriter>(new RecordingSearchIndex(db.DataSource));
            }
            s.Configure<CatalogStreamSettings>(o =>
            {
                o.PollPeriod = TimeSpan.FromMilliseconds(50);
                o.VisibilityTimeout = TimeSpan.FromSeconds(2);
            });
            s.Configure<InventoryOptions>(o => o.StockPublishInterval = stockPublishInterval ?? TimeSpan.FromMilliseconds(100));
            if (serviceId is not null)
            {
                s.PostConfigure<ClusterOptions>(o => o.ServiceId = serviceId);
            }
        });
    }

    private static ICatalogChangeFeed Feed(TestSilo silo) => silo.Services.GetRequiredService<ICatalogChangeFeed>();

    private Task<HashSet<string>> Indexed() => RecordingSearchIndex.IndexedProductsAsync(database.DataSource);

    [Fact]
    public async Task Every_published_product_change_reaches_the_index_writer()
    {
        await using var silo = await StartSilo();
        var batches = Enumerable.Range(0, 20).Select(b => Enumerable.Range(0, 5).Select(_ => Silos.NewKey("prod")).ToList()).ToList();

        foreach (var batch in batches)
        {
            await Feed(silo).ProductsChangedAsync(batch);
        }

        var all = batches.SelectMany(b => b).ToList();
        await Eventually.Value(Indexed, ids => all.All(ids.Contains), "every published product id recorded by the index writer", Silos.Patience,
            ids => $"{all.Count(ids.Contains)} of {all.Count}");
    }

    [Fact]
    public async Task A_skus_committed_stock_level_reaches_the_index_writer()
    {
        await using var silo = await StartSilo();
        var code = await Shop.CatalogSku(silo);
        var sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(code);

        Assert.True((await sku.Receive(new ReceiveStock("north", 7, "test"))).Succeeded);
        await Eventually.Value(() => RecordingSearchIndex.StockLevelsAsync(database.DataSource, code), levels => levels.LastOrDefault() == 7, "the received level indexed");

        Assert.True((await sku.Reserve(new ReserveStock("r1", 3))).Succeeded);
        await Eventually.Value(() => RecordingSearchIndex.StockLevelsAsync(database.DataSource, code), levels => levels.LastOrDefault() == 4, "the level after the reservation indexed");
    }

    [Fact]
    public async Task A_burst_of_reservations_publishes_only_the_latest_level()
    {
        // An interval longer than the test: nothing is published before the silo stops, which flushes the latest level.
        var silo = await StartSilo(stockPublishInterval: TimeSpan.FromHours(1));
        await using var _ = silo;
        var code = await Shop.CatalogSku(silo);
        var sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(code);
        Assert.True((await sku.Receive(new ReceiveStock("north", 500, "test"))).Succeeded);

        var reservations = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => sku.Reserve(new ReserveStock($"r{i}", 1))));
        Assert.All(reservations, r => Assert.True(r.Succeeded));
        await silo.RestartAsync();

        var levels = await Eventually.Value(() => RecordingSearchIndex.StockLevelsAsync(database.DataSource, code), levels => levels.Count > 0, "the flushed level indexed");
        // 201 committed changes, and the index only ever heard the last level (a redelivery repeats it).
        Assert.Equal([300], levels.Distinct());
    }

    [Fact]
    public async Task Changes_published_while_no_silo_has_a_writer_wait_in_PostgreSQL_and_arrive_later()
    {
        await using var db = await PostgresTestDatabase.CreateAsync();
        var ids = Enumerable.Range(0, 10).Select(_ => Silos.NewKey("waiting")).ToList();
        var service = Silos.NewKey("service");
        await using (var writerless = await StartSilo(db, withWriter: false, serviceId: service))
        {
            await Feed(writerless).ProductsChangedAsync(ids);
            await writerless.StopAsync();
        }
        // Never handed to a consumer: still in the stream's table, not dequeued once, not a dead letter.
        Assert.Equal(0L, await Scalar(db, "SELECT max(dequeued) FROM orleansstreammessage"));
        Assert.Equal(0L, await Scalar(db, "SELECT count(*) FROM orleansstreamdeadletter"));

        await using var silo = await StartSilo(db, serviceId: service);
        await Eventually.Value(() => RecordingSearchIndex.IndexedProductsAsync(db.DataSource), indexed => ids.All(indexed.Contains),
            "the waiting changes delivered once a silo has a writer", Silos.Patience);
        await Eventually.True(async () => await Scalar(db, "SELECT count(*) FROM orleansstreammessage") == 0, "the delivered message confirmed");
    }

    private static async Task<long> Scalar(PostgresTestDatabase db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
