using System.Text;
using System.Text.Json;
using Orleans.Storage;

namespace Commerce.Persistence.Tests;

public sealed class PostgresGrainStorageTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>
{
    const string State = "state";
    static readonly CancellationToken Ct = CancellationToken.None;

    readonly GrainStateStore _storage = new(fixture.DataSource);

    // Each test uses its own grain, so tests sharing the class's database do not see each other.
    static TestGrain NewGrain() => new("CartGrain", Guid.NewGuid().ToString());

    static byte[] Json(string json) => Encoding.UTF8.GetBytes(json);

    static int Count(StoredState state) => JsonDocument.Parse(state.Json).RootElement.GetProperty("count").GetInt32();

    [Fact]
    public async Task Reading_missing_state_returns_null()
    {
        Assert.Null(await _storage.ReadAsync(NewGrain(), State, Ct));
    }

    [Fact]
    public async Task Inserting_returns_version_1_and_the_state_reads_back()
    {
        var grain = NewGrain();

        var version = await _storage.WriteAsync(grain, State, Json("""{"count":1}"""), expectedVersion: null, Ct);

        Assert.Equal(1, version);
        var stored = await _storage.ReadAsync(grain, State, Ct);
        Assert.NotNull(stored);
        Assert.Equal(1, stored.Version);
        Assert.Equal(1, Count(stored));
    }

    [Fact]
    public async Task Writing_with_the_stored_version_increments_it()
    {
        var grain = NewGrain();
        var v1 = await _storage.WriteAsync(grain, State, Json("""{"count":1}"""), null, Ct);

        var v2 = await _storage.WriteAsync(grain, State, Json("""{"count":2}"""), v1, Ct);
        var v3 = await _storage.WriteAsync(grain, State, Json("""{"count":3}"""), v2, Ct);

        Assert.Equal(2, v2);
        Assert.Equal(3, v3);
        var stored = await _storage.ReadAsync(grain, State, Ct);
        Assert.Equal(3, stored!.Version);
        Assert.Equal(3, Count(stored));
    }

    [Fact]
    public async Task State_names_and_grain_types_are_separate_rows()
    {
        var grain = NewGrain();
        var sameKeyOtherType = new TestGrain("OrderGrain", grain.Key);
        await _storage.WriteAsync(grain, "a", Json("""{"count":1}"""), null, Ct);
        await _storage.WriteAsync(grain, "b", Json("""{"count":2}"""), null, Ct);
        await _storage.WriteAsync(sameKeyOtherType, "a", Json("""{"count":3}"""), null, Ct);

        Assert.Equal(1, Count((await _storage.ReadAsync(grain, "a", Ct))!));
        Assert.Equal(2, Count((await _storage.ReadAsync(grain, "b", Ct))!));
        Assert.Equal(3, Count((await _storage.ReadAsync(sameKeyOtherType, "a", Ct))!));
    }

    [Fact]
    public async Task Writing_with_a_stale_version_throws_and_leaves_the_row_unchanged()
    {
        var grain = NewGrain();
        await _storage.WriteAsync(grain, State, Json("""{"count":1}"""), null, Ct);
        await _storage.WriteAsync(grain, State, Json("""{"count":2}"""), 1, Ct);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(
            () => _storage.WriteAsync(grain, State, Json("""{"count":99}"""), 1, Ct));

        Assert.Contains($"{grain.Type}/{grain.Key}", error.Message);
        Assert.Contains($"'{State}'", error.Message);
        Assert.Contains("expected version 1", error.Message);
        Assert.Contains("version 2", error.Message);
        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);
        var stored = await _storage.ReadAsync(grain, State, Ct);
        Assert.Equal(2, stored!.Version);
        Assert.Equal(2, Count(stored));
    }

    [Fact]
    public async Task Writing_with_a_version_ahead_of_storage_throws()
    {
        var grain = NewGrain();
        await _storage.WriteAsync(grain, State, Json("""{"count":1}"""), null, Ct);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(
            () => _storage.WriteAsync(grain, State, Json("""{"count":99}"""), 5, Ct));

        Assert.Equal("1", error.StoredEtag);
        Assert.Equal(1, Count((await _storage.ReadAsync(grain, State, Ct))!));
    }

    [Fact]
    public async Task Inserting_when_a_row_exists_throws_and_leaves_it_unchanged()
    {
        var grain = NewGrain();
        await _storage.WriteAsync(grain, State, Json("""{"count":1}"""), null, Ct);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(
            () => _storage.WriteAsync(grain, State, Json("""{"count":99}"""), null, Ct));

        Assert.Contains("expected version none", error.Message);
        Assert.Equal("1", error.StoredEtag);
        Assert.Null(error.CurrentEtag);
        var stored = await _storage.ReadAsync(grain, State, Ct);
        Assert.Equal(1, stored!.Version);
        Assert.Equal(1, Count(stored));
    }

    [Fact]
    public async Task Updating_a_missing_row_throws_and_creates_nothing()
    {
        var grain = NewGrain();

        var error = await Assert.ThrowsAsync<InconsistentStateException>(
            () => _storage.WriteAsync(grain, State, Json("""{"count":1}"""), 3, Ct));

        Assert.Contains("no state", error.Message);
        Assert.Null(error.StoredEtag);
        Assert.Equal("3", error.CurrentEtag);
        Assert.Null(await _storage.ReadAsync(grain, State, Ct));
    }

    [Fact]
    public async Task Concurrent_writers_with_the_same_expected_version_exactly_one_wins()
    {
        for (var round = 0; round < 20; round++)
        {
            var grain = NewGrain();
            await _storage.WriteAsync(grain, State, Json("""{"count":0}"""), null, Ct);

            var outcomes = await RaceAsync(8, writer => _storage.WriteAsync(grain, State, Json($$"""{"count":{{writer + 1}}}"""), 1, Ct));

            var winners = outcomes.Where(o => o.Version is not null).ToList();
            var winner = Assert.Single(winners);
            Assert.Equal(2, winner.Version);
            Assert.All(outcomes.Where(o => o.Version is null), o => Assert.IsType<InconsistentStateException>(o.Error));
            var stored = await _storage.ReadAsync(grain, State, Ct);
            Assert.Equal(2, stored!.Version);
            Assert.Equal(winner.Writer + 1, Count(stored));
        }
    }

    [Fact]
    public async Task Concurrent_inserts_exactly_one_wins()
    {
        for (var round = 0; round < 20; round++)
        {
            var grain = NewGrain();

            var outcomes = await RaceAsync(8, writer => _storage.WriteAsync(grain, State, Json($$"""{"count":{{writer + 1}}}"""), null, Ct));

            var winner = Assert.Single(outcomes, o => o.Version is not null);
            Assert.Equal(1, winner.Version);
            Assert.All(outcomes.Where(o => o.Version is null), o => Assert.IsType<InconsistentStateException>(o.Error));
            Assert.Equal(winner.Writer + 1, Count((await _storage.ReadAsync(grain, State, Ct))!));
        }
    }

    [Fact]
    public async Task Clearing_with_the_stored_version_deletes_and_a_new_insert_starts_at_1()
    {
        var grain = NewGrain();
        await _storage.WriteAsync(grain, State, Json("""{"count":1}"""), null, Ct);
        await _storage.WriteAsync(grain, State, Json("""{"count":2}"""), 1, Ct);

        await _storage.ClearAsync(grain, State, 2, Ct);

        Assert.Null(await _storage.ReadAsync(grain, State, Ct));
        Assert.Equal(1, await _storage.WriteAsync(grain, State, Json("""{"count":3}"""), null, Ct));
    }

    [Fact]
    public async Task Clearing_with_a_stale_version_throws_and_keeps_the_row()
    {
        var grain = NewGrain();
        await _storage.WriteAsync(grain, State, Json("""{"count":1}"""), null, Ct);
        await _storage.WriteAsync(grain, State, Json("""{"count":2}"""), 1, Ct);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearAsync(grain, State, 1, Ct));

        Assert.Contains("clearing", error.Message);
        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);
        var stored = await _storage.ReadAsync(grain, State, Ct);
        Assert.Equal(2, stored!.Version);
        Assert.Equal(2, Count(stored));
    }

    [Fact]
    public async Task Clearing_an_existing_row_with_no_expected_version_throws_and_keeps_it()
    {
        var grain = NewGrain();
        await _storage.WriteAsync(grain, State, Json("""{"count":1}"""), null, Ct);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearAsync(grain, State, null, Ct));

        Assert.Equal("1", error.StoredEtag);
        Assert.Null(error.CurrentEtag);
        Assert.Equal(1, (await _storage.ReadAsync(grain, State, Ct))!.Version);
    }

    [Fact]
    public async Task Clearing_a_missing_row_with_no_expected_version_is_a_no_op()
    {
        var grain = NewGrain();

        await _storage.ClearAsync(grain, State, null, Ct);

        Assert.Null(await _storage.ReadAsync(grain, State, Ct));
    }

    [Fact]
    public async Task Clearing_a_missing_row_with_an_expected_version_throws()
    {
        var grain = NewGrain();

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearAsync(grain, State, 4, Ct));

        Assert.Null(error.StoredEtag);
        Assert.Equal("4", error.CurrentEtag);
    }

    [Fact]
    public async Task Non_ascii_json_round_trips()
    {
        var grain = new TestGrain("CartGrain", "clé-" + Guid.NewGuid());
        const string text = "Grüße, façade, Ωμέγα, 日本語, עברית, emoji 🛒🎉, quote \" backslash \\ tab \t";
        var json = JsonSerializer.SerializeToUtf8Bytes(new { text, nested = new { list = new[] { "ä", "ß" } } });

        await _storage.WriteAsync(grain, State, json, null, Ct);
        var stored = await _storage.ReadAsync(grain, State, Ct);

        // jsonb keeps meaning, not formatting, so compare the parsed document rather than the bytes.
        Assert.NotNull(stored);
        using var document = JsonDocument.Parse(stored.Json);
        Assert.Equal(text, document.RootElement.GetProperty("text").GetString());
        Assert.Equal("ß", document.RootElement.GetProperty("nested").GetProperty("list")[1].GetString());
        // What comes back is raw UTF-8 (no jsonb version byte, no \u escapes for non-ASCII).
        Assert.Contains("日本語", Encoding.UTF8.GetString(stored.Json));
        Assert.Equal((byte)'{', stored.Json[0]);
    }

    [Fact]
    public async Task A_payload_slice_is_written_without_the_surrounding_bytes()
    {
        var grain = NewGrain();
        var buffer = Json("""xxxx{"count":7}yyyy""");

        await _storage.WriteAsync(grain, State, buffer.AsMemory(4, buffer.Length - 8), null, Ct);

        Assert.Equal(7, Count((await _storage.ReadAsync(grain, State, Ct))!));
    }

    [Fact]
    public async Task Invalid_json_is_rejected_by_the_database()
    {
        var grain = NewGrain();

        // Refused for good (not "unavailable"), with PostgreSQL's code, in an exception that crosses Orleans' wire.
        var error = await Assert.ThrowsAsync<DatabaseException>(() => _storage.WriteAsync(grain, State, Json("{not json"), null, Ct));
        Assert.Equal("22P02", error.SqlState);

        Assert.Null(await _storage.ReadAsync(grain, State, Ct));
    }

    [Fact]
    public async Task A_cancelled_token_is_honoured()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _storage.WriteAsync(NewGrain(), State, Json("""{"count":1}"""), null, cancelled.Token));
    }

    sealed record Outcome(int Writer, long? Version, Exception? Error);

    static async Task<List<Outcome>> RaceAsync(int writers, Func<int, Task<long>> write)
    {
        using var start = new ManualResetEventSlim();
        var tasks = new Task<Outcome>[writers];
        for (var i = 0; i < writers; i++)
        {
            var writer = i;
            tasks[i] = Task.Run(async () =>
            {
                start.Wait();
                try
                {
                    return new Outcome(writer, await write(writer), null);
                }
                catch (Exception e)
                {
                    return new Outcome(writer, null, e);
                }
            });
        }
        start.Set();
        return [.. await Task.WhenAll(tasks)];
    }
}
