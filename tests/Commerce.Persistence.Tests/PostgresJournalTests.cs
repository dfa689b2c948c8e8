using System.Text;
using System.Text.Json;
using Orleans.Storage;

namespace Commerce.Persistence.Tests;

public sealed class PostgresJournalTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>
{
    const string State = "stock";
    static readonly CancellationToken Ct = CancellationToken.None;

    readonly GrainStateStore _storage = new(fixture.DataSource);

    static TestGrain NewGrain() => new("SkuInventoryGrain", Guid.NewGuid().ToString());

    static byte[] Json(string json) => Encoding.UTF8.GetBytes(json);

    static JournalRecord Ledger(int delta) => new("ledger", Json($$"""{"delta":{{delta}},"reason":"café"}"""));

    [Fact]
    public async Task Journal_records_commit_with_the_state_write_in_order_and_carry_its_version()
    {
        var grain = NewGrain();
        var v1 = await _storage.WriteAsync(grain, State, Json("""{"onHand":10}"""), null, [Ledger(10)], Ct);
        var v2 = await _storage.WriteAsync(grain, State, Json("""{"onHand":7}"""), v1, [Ledger(-1), Ledger(-2), new JournalRecord("event", Json("{}"))], Ct);

        var ledger = await _storage.ReadJournalAsync(grain, State, "ledger", 0, 100, Ct);
        Assert.Equal([10, -1, -2], ledger.Select(r => JsonDocument.Parse(r.Json).RootElement.GetProperty("delta").GetInt32()));
        Assert.Equal([v1, v2, v2], ledger.Select(r => r.Version));
        Assert.Equal("café", JsonDocument.Parse(ledger[0].Json).RootElement.GetProperty("reason").GetString());
        Assert.Single(await _storage.ReadJournalAsync(grain, State, "event", 0, 100, Ct));

        // Keyset paging: the page after the first record holds the rest.
        var page = await _storage.ReadJournalAsync(grain, State, "ledger", ledger[0].Sequence, 1, Ct);
        Assert.Equal(ledger[1].Sequence, Assert.Single(page).Sequence);
    }

    [Fact]
    public async Task A_refused_write_commits_none_of_its_journal_records()
    {
        var grain = NewGrain();
        var v1 = await _storage.WriteAsync(grain, State, Json("""{"onHand":10}"""), null, [Ledger(10)], Ct);
        await _storage.WriteAsync(grain, State, Json("""{"onHand":9}"""), v1, [Ledger(-1)], Ct);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteAsync(grain, State, Json("""{"onHand":0}"""), v1, [Ledger(-10)], Ct));
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteAsync(grain, State, Json("""{"onHand":0}"""), null, [Ledger(-10)], Ct));

        var ledger = await _storage.ReadJournalAsync(grain, State, "ledger", 0, 100, Ct);
        Assert.Equal([10, -1], ledger.Select(r => JsonDocument.Parse(r.Json).RootElement.GetProperty("delta").GetInt32()));
    }
}
