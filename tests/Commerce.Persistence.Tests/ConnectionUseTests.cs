using System.Collections.Concurrent;
using System.Text;
using Npgsql;
using Orleans.Storage;

namespace Commerce.Persistence.Tests;

/// <summary>
/// Grain writes share pooled connections with everything else in the process: each must hand its connection
/// back with nothing left unread on it, and a failure that leaves the outcome unknown must say so.
/// </summary>
public sealed class ConnectionUseTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>
{
    const string State = "inventory";

    static byte[] Json(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public async Task Concurrent_journaled_writes_reads_and_cancelled_reads_on_a_small_pool_keep_every_connection_in_step()
    {
        // As deploy/ connects (auto-prepared statements, no reset on close), with few connections so that each
        // is handed from one operation to the next many times.
        var connectionString = new NpgsqlConnectionStringBuilder(fixture.ConnectionString)
        {
            MaxPoolSize = 4, NoResetOnClose = true, MaxAutoPrepare = 64, AutoPrepareMinUsages = 2,
        }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new GrainStateStore(dataSource);
        var failures = new ConcurrentQueue<Exception>();
        const int Grains = 24, WritesEach = 60;

        async Task<(string Key, long Version, int Journaled)> Grain(int g)
        {
            var key = $"sku-{g}-{Guid.NewGuid():N}";
            var random = new Random(g);
            long? version = null;
            var journaled = 0;
            for (var i = 0; i < WritesEach; i++)
            {
                try
                {
                    // Up to five ledger rows per commit: more rows than the one the write answers.
                    var journal = Enumerable.Range(0, random.Next(0, 6)).Select(r => new JournalRecord("ledger", Json($$"""{"write":{{i}},"row":{{r}}}"""))).ToList();
                    if (random.Next(8) == 0)
                    {
                        // A stale writer: refused, writing nothing.
                        await Assert.ThrowsAsync<InconsistentStateException>(() => store.WriteAsync("SkuInventory", key, State, Json("{}"), (version ?? 0) + 7, journal, CancellationToken.None));
                    }
                    version = await store.WriteAsync("SkuInventory", key, State, Json($$"""{"i":{{i}}}"""), version, journal, CancellationToken.None);
                    journaled += journal.Count;
                    using var soon = new CancellationTokenSource(TimeSpan.FromTicks(random.Next(1, 20_000)));
                    try
                    {
                        await store.ReadAsync("SkuInventory", key, State, soon.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // Cancelled mid-command: its connection must still come back in step.
                    }
                    await store.ReadJournalAsync("SkuInventory", key, State, "ledger", 0, 3, CancellationToken.None);
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                    return (key, -1, -1);
                }
            }
            return (key, version!.Value, journaled);
        }

        var grains = await Task.WhenAll(Enumerable.Range(0, Grains).Select(g => Task.Run(() => Grain(g))));

        Assert.True(failures.IsEmpty, string.Join("\n---\n", failures.Take(3)));
        foreach (var (key, version, journaled) in grains)
        {
            Assert.Equal(WritesEach, version);
            Assert.Equal(journaled, (await store.ReadJournalAsync("SkuInventory", key, State, "ledger", 0, 1_000, CancellationToken.None)).Count);
        }
    }

    [Fact]
    public async Task A_connection_that_broke_leaves_the_operation_in_doubt_while_the_servers_refusal_is_final()
    {
        // Npgsql's words when a connection fell out of step (and it broke it): the statement may have committed.
        var desynchronized = new NpgsqlException("Received unexpected backend message DataRow. Please file a bug.");
        Assert.IsType<DatabaseUnavailableException>(DatabaseFaults.Portable(desynchronized));

        await using var command = fixture.DataSource.CreateCommand("SELECT 1 / 0");
        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.Equal("22012", Assert.IsType<DatabaseException>(DatabaseFaults.Portable(refused)).SqlState);
    }
}
