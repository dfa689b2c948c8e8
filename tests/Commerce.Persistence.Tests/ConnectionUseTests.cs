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
        // As deploy/ connects (no reset on close; the store prepares its statements), with few connections so that
        // each is handed from one operation to the next many times.
        var connectionString = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { MaxPoolSize = 4, NoResetOnClose = true }.ConnectionString;
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
    public async Task A_write_postgres_refuses_while_its_statement_is_being_prepared_leaves_the_next_write_on_that_connection_correct()
    {
        // One connection, so every write runs on it; automatic preparation on (a shop may configure it), so that
        // the second run of a statement is the one that prepares it. Npgsql 10.0.3 leaves a statement whose
        // automatic preparation failed on its data without a result description, and the third run then failed
        // on the row the server sent back — after the server had committed it.
        var connectionString = new NpgsqlConnectionStringBuilder(fixture.ConnectionString)
        {
            MaxPoolSize = 1, NoResetOnClose = true, MaxAutoPrepare = 64, AutoPrepareMinUsages = 2,
        }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new GrainStateStore(dataSource);
        string Key() => $"sku-{Guid.NewGuid():N}";
        JournalRecord[] Ledger() => [new("ledger", Json("""{"n":1}"""))];

        Assert.Equal(1, await store.WriteAsync("SkuInventory", Key(), State, Json("""{"n":1}"""), null, Ledger(), CancellationToken.None));
        // jsonb refuses an escaped NUL while binding the parameter.
        var refused = await Assert.ThrowsAsync<DatabaseException>(() =>
            store.WriteAsync("SkuInventory", Key(), State, Json("""{"n":"\u0000"}"""), null, Ledger(), CancellationToken.None));
        Assert.Equal("22P05", refused.SqlState);

        var next = Key();
        Assert.Equal(1, await store.WriteAsync("SkuInventory", next, State, Json("""{"n":3}"""), null, Ledger(), CancellationToken.None));
        Assert.Equal(2, await store.WriteAsync("SkuInventory", next, State, Json("""{"n":4}"""), 1, Ledger(), CancellationToken.None));
        Assert.Equal(2, (await store.ReadAsync("SkuInventory", next, State, CancellationToken.None))!.Version);
        Assert.Equal(2, (await store.ReadJournalAsync("SkuInventory", next, State, "ledger", 0, 10, CancellationToken.None)).Count);
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
