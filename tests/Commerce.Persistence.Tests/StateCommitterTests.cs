using System.Diagnostics.Metrics;
using System.Text;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Storage;

namespace Commerce.Persistence.Tests;

/// <summary>
/// The silo-wide committer on a real PostgreSQL. To have writes arrive while a round trip is in flight, without
/// timing, a round trip is held in the database: another transaction locks the row it updates, and the test waits
/// until PostgreSQL shows the statement blocked on that lock before it sends the writes that must share the next one.
/// </summary>
public sealed class StateCommitterTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>, IDisposable
{
    const string Type = "SkuInventory", State = "inventory";

    readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    static byte[] Json(string json) => Encoding.UTF8.GetBytes(json);

    static JournalRecord[] Ledger(string key, int rows) => [.. Enumerable.Range(0, rows).Select(r => new JournalRecord("ledger", Json($$"""{"key":"{{key}}","row":{{r}}}""")))];

    static string NewKey() => "sku-" + Guid.NewGuid().ToString("N");

    (StateCommitter Committer, StorageMetrics Metrics) NewCommitter(NpgsqlDataSource? dataSource = null)
    {
        var metrics = new StorageMetrics(_services.GetRequiredService<IMeterFactory>());
        // One round trip in flight: whatever arrives meanwhile must wait for, and share, the next one.
        var options = Options.Create(new StateCommitterOptions { MaxBatchesInFlight = 1 });
        return (new StateCommitter(new GrainStateStore(dataSource ?? fixture.DataSource), metrics, options), metrics);
    }

    [Fact]
    public async Task A_lone_write_leaves_at_once_in_a_round_trip_of_its_own()
    {
        var (committer, metrics) = NewCommitter();

        // Nothing else is written: were the committer to wait for company (a count of writes), this never completes.
        var version = await committer.WriteAsync(Type, NewKey(), State, Json("""{"n":1}"""), null, Ledger("lone", 1)).WaitAsync(Eventually.DefaultPatience);

        Assert.Equal(1, version);
        var totals = metrics.Totals();
        Assert.Equal((1L, 1L), (totals.Batches, totals.BatchedWrites));
    }

    [Fact]
    public async Task Writes_that_arrive_while_a_round_trip_is_in_flight_share_the_next_one_each_under_its_own_version()
    {
        var (committer, metrics) = NewCommitter();
        var held = await Stored(NewKey());
        var existing = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Stored(NewKey())));
        var fresh = Enumerable.Range(0, 40).Select(_ => NewKey()).ToArray();

        Task<long> first;
        await using (var lockHolder = await RowLock.TakeAsync(fixture.DataSource, held))
        {
            first = committer.WriteAsync(Type, held, State, Json("""{"n":2}"""), 1, Ledger(held, 1));
            await lockHolder.BlockedAsync();
            var updates = existing.Select(key => committer.WriteAsync(Type, key, State, Json("""{"n":2}"""), 1, Ledger(key, 2))).ToArray();
            var inserts = fresh.Select(key => committer.WriteAsync(Type, key, State, Json("""{"n":1}"""), null, Ledger(key, 3))).ToArray();
            await lockHolder.ReleaseAsync();

            Assert.All(await Task.WhenAll(updates), version => Assert.Equal(2, version));
            Assert.All(await Task.WhenAll(inserts), version => Assert.Equal(1, version));
        }
        Assert.Equal(2, await first);

        // 61 commits of 61 grains in two round trips: the held one, then all that arrived meanwhile.
        var totals = metrics.Totals();
        Assert.Equal((2L, 61L), (totals.Batches, totals.BatchedWrites));
        foreach (var key in existing)
        {
            Assert.Equal<(long, int)?>((2L, 2), await Row(key));
            Assert.Equal(new long[] { 2, 2 }, await JournalVersions(key));
        }
        foreach (var key in fresh)
        {
            Assert.Equal<(long, int)?>((1L, 1), await Row(key));
            Assert.Equal(new long[] { 1, 1, 1 }, await JournalVersions(key));
            Assert.Equal(new long[] { 0, 1, 2 }, await JournalRowOrder(key));
        }
    }

    [Fact]
    public async Task A_version_conflict_or_a_row_postgres_refuses_fails_only_its_own_write_and_the_rest_of_the_round_trip_commits()
    {
        var (committer, metrics) = NewCommitter();
        var held = await Stored(NewKey());
        var (current, stale, taken) = (await Stored(NewKey()), await Stored(NewKey()), await Stored(NewKey()));
        var (fresh, refused) = (NewKey(), NewKey());

        Task<long> first, currentWrite, staleWrite, takenWrite, freshWrite, refusedWrite;
        await using (var lockHolder = await RowLock.TakeAsync(fixture.DataSource, held))
        {
            first = committer.WriteAsync(Type, held, State, Json("""{"n":2}"""), 1, []);
            await lockHolder.BlockedAsync();
            currentWrite = committer.WriteAsync(Type, current, State, Json("""{"n":2}"""), 1, Ledger(current, 1));
            staleWrite = committer.WriteAsync(Type, stale, State, Json("""{"n":9}"""), 7, Ledger(stale, 1));
            takenWrite = committer.WriteAsync(Type, taken, State, Json("""{"n":9}"""), null, Ledger(taken, 1));
            freshWrite = committer.WriteAsync(Type, fresh, State, Json("""{"n":1}"""), null, Ledger(fresh, 1));
            // jsonb refuses an escaped NUL: the whole statement fails, and the committer must isolate the row.
            refusedWrite = committer.WriteAsync(Type, refused, State, Json("""{"n":"\u0000"}"""), null, Ledger(refused, 1));
            await lockHolder.ReleaseAsync();
        }
        await first;

        Assert.Equal(2, await currentWrite);
        Assert.Equal(1, await freshWrite);
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => staleWrite);
        Assert.Equal("1", conflict.StoredEtag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => takenWrite);
        Assert.Equal("22P05", (await Assert.ThrowsAsync<DatabaseException>(() => refusedWrite)).SqlState);
        Assert.Equal((2L, 6L), (metrics.Totals().Batches, metrics.Totals().BatchedWrites));

        Assert.Equal<(long, int)?>((2L, 2), await Row(current));
        Assert.Equal(new long[] { 2 }, await JournalVersions(current));
        Assert.Equal<(long, int)?>((1L, 1), await Row(fresh));
        Assert.Equal(new long[] { 1 }, await JournalVersions(fresh));
        foreach (var key in new[] { stale, taken })
        {
            Assert.Equal<(long, int)?>((1L, 1), await Row(key));
            Assert.Empty(await JournalVersions(key));
        }
        Assert.Null(await Row(refused));
        Assert.Empty(await JournalVersions(refused));
    }

    [Fact]
    public async Task A_round_trip_whose_connection_breaks_fails_all_its_writes_as_unavailable_and_applies_none()
    {
        // Its own pool: the broken connection makes the store drop the idle ones.
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        var (committer, metrics) = NewCommitter(dataSource);
        var (held, blocking) = (await Stored(NewKey()), await Stored(NewKey()));
        var fresh = Enumerable.Range(0, 5).Select(_ => NewKey()).ToArray();

        await using var secondHolder = await RowLock.TakeAsync(fixture.DataSource, blocking);
        Task<long> first;
        Task<long>[] broken;
        await using (var firstHolder = await RowLock.TakeAsync(fixture.DataSource, held))
        {
            first = committer.WriteAsync(Type, held, State, Json("""{"n":2}"""), 1, []);
            await firstHolder.BlockedAsync();
            // The next round trip: inserts that go in at once, and an update that waits for the second lock.
            broken = [.. fresh.Select(key => committer.WriteAsync(Type, key, State, Json("""{"n":1}"""), null, Ledger(key, 2))),
                committer.WriteAsync(Type, blocking, State, Json("""{"n":2}"""), 1, Ledger(blocking, 1))];
            await firstHolder.ReleaseAsync();
        }
        Assert.Equal(2, await first);
        var statement = await secondHolder.BlockedAsync();
        await using (var kill = fixture.DataSource.CreateCommand("SELECT pg_terminate_backend($1)"))
        {
            kill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = statement });
            await kill.ExecuteScalarAsync();
        }

        foreach (var write in broken)
        {
            await Assert.ThrowsAsync<DatabaseUnavailableException>(() => write);
        }
        await secondHolder.ReleaseAsync();
        Assert.Equal((1L, 1L), (metrics.Totals().Batches, metrics.Totals().BatchedWrites));
        foreach (var key in fresh)
        {
            Assert.Null(await Row(key));
            Assert.Empty(await JournalVersions(key));
        }
        Assert.Equal<(long, int)?>((1L, 1), await Row(blocking));
        Assert.Empty(await JournalVersions(blocking));
    }

    /// <summary>A grain state stored at version 1 without journal rows.</summary>
    async Task<string> Stored(string key)
    {
        await new GrainStateStore(fixture.DataSource).WriteAsync(Type, key, State, Json("""{"n":1}"""), null, [], CancellationToken.None);
        return key;
    }

    async Task<(long Version, int N)?> Row(string key)
    {
        await using var command = fixture.DataSource.CreateCommand(
            "SELECT version, (payload->>'n')::int FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = State });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt32(1)) : null;
    }

    async Task<long[]> JournalVersions(string key) => await JournalColumn(key, "version");

    async Task<long[]> JournalRowOrder(string key) => await JournalColumn(key, "(payload->>'row')::bigint");

    async Task<long[]> JournalColumn(string key, string column)
    {
        await using var command = fixture.DataSource.CreateCommand(
            $"SELECT {column} FROM grain_journal WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 ORDER BY sequence");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = State });
        var values = new List<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetInt64(0));
        }
        return [.. values];
    }

    /// <summary>A transaction holding one grain_state row's lock, so that a write of that row waits in PostgreSQL.</summary>
    sealed class RowLock : IAsyncDisposable
    {
        readonly NpgsqlDataSource _dataSource;
        readonly NpgsqlConnection _connection;
        NpgsqlTransaction? _transaction;

        RowLock(NpgsqlDataSource dataSource, NpgsqlConnection connection, NpgsqlTransaction transaction) =>
            (_dataSource, _connection, _transaction) = (dataSource, connection, transaction);

        public static async Task<RowLock> TakeAsync(NpgsqlDataSource dataSource, string key)
        {
            var connection = await dataSource.OpenConnectionAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand(
                "SELECT 1 FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 FOR UPDATE", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Type });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = State });
            Assert.Equal(1, await command.ExecuteScalarAsync());
            return new RowLock(dataSource, connection, transaction);
        }

        /// <summary>Waits until a statement of another session waits for this lock; answers that session's process id.</summary>
        public async Task<int> BlockedAsync()
        {
            // Asked outside the lock's transaction: within one, pg_stat_activity answers from a snapshot taken at its first read.
            await using var command = _dataSource.CreateCommand("SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))");
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _connection.ProcessID });
            return await Eventually.Value(async () => await command.ExecuteScalarAsync() as int?, pid => pid is not null, "a write blocked on the row lock") ?? 0;
        }

        public async Task ReleaseAsync()
        {
            if (_transaction is { } transaction)
            {
                _transaction = null;
                await transaction.RollbackAsync();
                await transaction.DisposeAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await _connection.DisposeAsync();
        }
    }
}
