using Commerce.Runtime.Hosting;
using Commerce.Runtime.Storage;
using Commerce.Runtime.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Runtime.Tests;

/// <summary>Grain state and reminders against a real PostgreSQL (one fresh database per test class).</summary>
public sealed class PersistenceTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private string ConnectionString => database.ConnectionString;

    [Fact]
    public async Task State_survives_a_restart_and_shutdown_flushes_writes_made_while_deactivating()
    {
        await using var silo = await Silos.OnPostgres(ConnectionString);
        var key = "restart-" + Guid.NewGuid();
        var counter = silo.GrainFactory.GetGrain<IDurableCounterGrain>(key);
        for (var i = 0; i < 5; i++)
        {
            await counter.Increment();
        }
        await silo.RestartAsync();
        counter = silo.GrainFactory.GetGrain<IDurableCounterGrain>(key);
        Assert.Equal(5, await counter.Get());
        var stored = await silo.Services.GetRequiredService<IGrainStorage>().ReadAsync(new GrainId("DurableCounterGrain", key), "counter", default);
        Assert.NotNull(stored);
        // OnDeactivateAsync appended its reason without awaiting the write; the stop flushed it anyway.
        Assert.Contains("\"ShuttingDown\"", System.Text.Encoding.UTF8.GetString(stored.Json));
    }

    [Fact]
    public async Task Group_commit_answers_every_writer_after_its_commit_with_fewer_storage_writes()
    {
        await using var silo = await Silos.OnPostgres(ConnectionString);
        var key = "group-" + Guid.NewGuid();
        var counter = silo.GrainFactory.GetGrain<IDurableCounterGrain>(key);
        var metrics = silo.Services.GetRequiredService<Telemetry.RuntimeMetrics>();
        var writesBefore = metrics.StorageWrites.Count;
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => counter.Increment()));
        var writes = metrics.StorageWrites.Count - writesBefore;

        Assert.Equal(Enumerable.Range(1, 64), results.Order());
        var stored = await silo.Services.GetRequiredService<IGrainStorage>().ReadAsync(new GrainId("DurableCounterGrain", key), "counter", default);
        // Every acknowledged increment is in storage: the answers came after the commits that covered them.
        Assert.Contains("\"value\":64", System.Text.Encoding.UTF8.GetString(stored!.Json).Replace(" ", ""));
        Assert.InRange(writes, 1, 63);
    }

    [Fact]
    public async Task Without_group_commit_every_write_is_its_own_storage_write()
    {
        await using var silo = await Silos.OnPostgres(ConnectionString, s => s.GroupCommit = false);
        var counter = silo.GrainFactory.GetGrain<IDurableCounterGrain>("single-" + Guid.NewGuid());
        var metrics = silo.Services.GetRequiredService<Telemetry.RuntimeMetrics>();
        var writesBefore = metrics.StorageWrites.Count;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => counter.Increment()));
        Assert.Equal(32, metrics.StorageWrites.Count - writesBefore);
        Assert.Equal(32, await counter.Get());
    }

    [Fact]
    public async Task Two_activations_writing_with_the_same_etag_one_wins_the_other_throws_and_overwrites_nothing()
    {
        // Two silos on one database, each with its own activation of the same grain (no cluster yet).
        await using var first = await Silos.OnPostgres(ConnectionString);
        await using var second = await Silos.OnPostgres(ConnectionString);
        var key = "etag-" + Guid.NewGuid();
        var a = first.GrainFactory.GetGrain<IDurableCounterGrain>(key);
        var b = second.GrainFactory.GetGrain<IDurableCounterGrain>(key);
        await a.Overwrite(1);
        Assert.Equal(1, await b.Get());
        Assert.Equal(await a.Etag(), await b.Etag());

        await a.Overwrite(100);
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => b.Overwrite(200));
        Assert.Contains(key, error.Message);

        // The loser's activation was discarded; it rereads the winner's value.
        Assert.Equal(100, await b.Get());
    }

    [Fact]
    public async Task A_reminder_registered_before_a_restart_fires_after_it()
    {
        await using var silo = await Silos.OnPostgres(ConnectionString);
        var key = "reminder-" + Guid.NewGuid();
        await silo.GrainFactory.GetGrain<IReminderGrain>(key).Schedule(TimeSpan.FromSeconds(1), period: null);
        await silo.StopAsync();
        Assert.False(ReminderProbe.Signal(key).Task.IsCompleted);

        await silo.RestartAsync();
        var status = await ReminderProbe.Signal(key).Task.WaitAsync(Silos.Patience);
        Assert.Null(status.Period);
        // A one-shot reminder is removed once delivered.
        var table = silo.Services.GetRequiredService<Reminders.IReminderTable>();
        Assert.Null(await Eventually.Value(() => table.ReadAsync(new GrainId("ReminderGrain", key), "tick", default), r => r is null));
    }

    [Fact]
    public async Task A_periodic_reminder_keeps_ticking()
    {
        await using var silo = await Silos.OnPostgres(ConnectionString);
        var key = "periodic-" + Guid.NewGuid();
        await silo.GrainFactory.GetGrain<IReminderGrain>(key).Schedule(TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        var status = await ReminderProbe.Signal(key).Task.WaitAsync(Silos.Patience);
        Assert.Equal(TimeSpan.FromMilliseconds(200), status.Period);
        Assert.True(ReminderProbe.Ticks[key] >= 2);
    }
}
