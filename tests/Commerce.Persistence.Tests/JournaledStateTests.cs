using Commerce.Hosting;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans;
using Orleans.Concurrency;
using Orleans.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Commerce.Persistence.Tests;

public sealed class TallyState
{
    public long Count { get; set; }
}

/// <summary>A hot counter: every increment is a journal row committed with the count.</summary>
[Alias("Commerce.Tests.ITallyGrain")]
public interface ITallyGrain : IGrainWithStringKey
{
    Task<long> Add(string note);

    [ReadOnly]
    Task<long> Get();
}

[Reentrant]
[GrainType("Tally")]
public sealed class TallyGrain([JournaledState("tally")] IJournaledState<TallyState> tally) : Grain, ITallyGrain
{
    public async Task<long> Add(string note)
    {
        tally.AppendToJournal("added", new { note });
        var count = ++tally.State.Count;
        await tally.WriteStateAsync();
        return count;
    }

    public Task<long> Get() => Task.FromResult(tally.State.Count);
}

/// <summary>The hot grains' group commit on Orleans and a real PostgreSQL.</summary>
public sealed class JournaledStateTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>, IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.UseCommercePostgres(database.ConnectionString));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private ITallyGrain Tally(string key) => _cluster.Client.GetGrain<ITallyGrain>(key);

    [Fact]
    public async Task Concurrent_calls_share_commits_and_each_is_answered_after_the_commit_that_covers_it()
    {
        var key = "t-" + Guid.NewGuid().ToString("N");
        await Tally(key).Add("first");

        var counts = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Tally(key).Add($"n{i}")));

        // Every caller got its own increment, and every increment it was told about is stored.
        Assert.Equal(Enumerable.Range(2, 500).Select(i => (long)i), counts.Order());
        var stored = (await new GrainStateStore(database.DataSource).ReadAsync("Tally", key, "tally", CancellationToken.None))!;
        Assert.Equal(501, StateJson.Deserialize<TallyState>(stored.Json).Count);
        Assert.Equal(501, await JournalRows(key));
        // Group commit: the 500 concurrent calls needed far fewer commits than callers.
        Assert.InRange(stored.Version, 2, 251);
    }

    [Fact]
    public async Task Commits_of_many_grains_at_the_same_moment_share_round_trips_of_the_silos_committer()
    {
        var storage = _cluster.Silos.Single().ServiceProvider.GetRequiredService<StorageMetrics>();
        var keys = Enumerable.Range(0, 200).Select(_ => "t-" + Guid.NewGuid().ToString("N")).ToArray();
        await Task.WhenAll(keys.Select(key => Tally(key).Get()));
        var before = storage.Totals();

        await Task.WhenAll(keys.Select(key => Tally(key).Add("once")));

        var after = storage.Totals();
        // 200 grains' first commits, each its own activation's, went through the committer in fewer round trips.
        Assert.Equal(200, after.BatchedWrites - before.BatchedWrites);
        Assert.InRange(after.Batches - before.Batches, 1, 199);
        foreach (var key in keys)
        {
            Assert.Equal(1, await JournalRows(key));
        }
    }

    [Fact]
    public async Task A_write_against_a_newer_stored_version_fails_its_callers_and_the_next_call_reloads_what_was_committed()
    {
        var key = "t-" + Guid.NewGuid().ToString("N");
        Assert.Equal(1, await Tally(key).Add("first"));
        // Another writer (a stale duplicate activation elsewhere) moves the stored version on.
        await using (var command = database.DataSource.CreateCommand(
            "UPDATE grain_state SET payload = '{\"count\":41}', version = version + 1 WHERE grain_type = 'Tally' AND grain_key = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        await Assert.ThrowsAsync<InconsistentStateException>(() => Tally(key).Add("refused"));

        // The activation was discarded: the next one reads the newer document and goes on from it.
        var next = await Eventually.Value(async () =>
        {
            try
            {
                return await Tally(key).Add("after");
            }
            catch (InconsistentStateException)
            {
                return 0;
            }
        }, count => count > 0);
        Assert.Equal(42, next);
        Assert.Equal(2, await JournalRows(key));
    }

    [Fact]
    public async Task A_journal_row_postgres_cannot_store_fails_only_its_own_caller()
    {
        var key = "t-" + Guid.NewGuid().ToString("N");
        var calls = Enumerable.Range(0, 50).Select(i => Tally(key).Add(i == 25 ? "bad\0note" : $"n{i}")).ToList();

        var outcomes = await Task.WhenAll(calls.Select(async call =>
        {
            try
            {
                await call;
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }));

        var failure = Assert.Single(outcomes, e => e is not null);
        Assert.IsType<ArgumentException>(failure);
        Assert.Equal(49, await Tally(key).Get());
        Assert.Equal(49, await JournalRows(key));
    }

    private async Task<long> JournalRows(string key)
    {
        await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM grain_journal WHERE grain_type = 'Tally' AND grain_key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
