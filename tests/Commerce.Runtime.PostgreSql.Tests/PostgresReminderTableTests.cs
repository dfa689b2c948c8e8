using Commerce.Runtime.Reminders;

namespace Commerce.Runtime.PostgreSql.Tests;

public sealed class PostgresReminderTableTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>
{
    static readonly CancellationToken Ct = CancellationToken.None;
    static readonly DateTimeOffset T0 = new(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    readonly PostgresReminderTable _table = new(fixture.DataSource);

    // Each test uses its own grain, so tests sharing the class's database do not see each other.
    static GrainId NewGrain() => new("CartGrain", Guid.NewGuid().ToString());

    [Fact]
    public async Task Reading_a_missing_reminder_returns_null()
    {
        Assert.Null(await _table.ReadAsync(NewGrain(), "nope", Ct));
        Assert.Empty(await _table.ReadForGrainAsync(NewGrain(), Ct));
    }

    [Fact]
    public async Task A_periodic_reminder_round_trips()
    {
        var entry = new ReminderEntry(NewGrain(), "expire-cart", T0, TimeSpan.FromMinutes(15), T0.AddMinutes(30));

        await _table.UpsertAsync(entry, null, Ct);

        var read = await _table.ReadAsync(entry.GrainId, entry.Name, Ct);
        Assert.Equal(entry, read);
        Assert.Equal(TimeSpan.Zero, read!.DueAt.Offset);
    }

    [Fact]
    public async Task A_one_shot_reminder_round_trips_with_a_null_period()
    {
        var entry = new ReminderEntry(NewGrain(), "once", T0, null, T0);

        await _table.UpsertAsync(entry, null, Ct);

        var read = await _table.ReadAsync(entry.GrainId, entry.Name, Ct);
        Assert.NotNull(read);
        Assert.Null(read.Period);
        Assert.Equal(entry, read);
    }

    [Fact]
    public async Task Periods_beyond_a_day_and_below_a_second_round_trip()
    {
        var grain = NewGrain();
        var long_ = new ReminderEntry(grain, "long", T0, new TimeSpan(40, 1, 2, 3, 456), T0);
        var short_ = new ReminderEntry(grain, "short", T0, TimeSpan.FromMilliseconds(250), T0);

        await _table.UpsertAsync(long_, null, Ct);
        await _table.UpsertAsync(short_, null, Ct);

        Assert.Equal(long_, await _table.ReadAsync(grain, "long", Ct));
        Assert.Equal(short_, await _table.ReadAsync(grain, "short", Ct));
    }

    [Fact]
    public async Task Times_with_an_offset_are_stored_as_the_same_instant()
    {
        var local = new DateTimeOffset(2030, 6, 1, 12, 0, 0, TimeSpan.FromHours(2));
        var entry = new ReminderEntry(NewGrain(), "offset", local, null, local);

        await _table.UpsertAsync(entry, null, Ct);

        var read = await _table.ReadAsync(entry.GrainId, entry.Name, Ct);
        Assert.Equal(local.UtcDateTime, read!.DueAt.UtcDateTime);
        Assert.Equal(TimeSpan.Zero, read.DueAt.Offset);
    }

    [Fact]
    public async Task Upserting_the_same_grain_and_name_replaces_the_reminder()
    {
        var grain = NewGrain();
        await _table.UpsertAsync(new ReminderEntry(grain, "r", T0, TimeSpan.FromMinutes(1), T0), null, Ct);
        var replacement = new ReminderEntry(grain, "r", T0.AddHours(1), null, T0.AddHours(2));

        await _table.UpsertAsync(replacement, null, Ct);

        Assert.Equal(replacement, await _table.ReadAsync(grain, "r", Ct));
        Assert.Single(await _table.ReadForGrainAsync(grain, Ct));
    }

    [Fact]
    public async Task Removing_reports_whether_the_reminder_existed()
    {
        var grain = NewGrain();
        await _table.UpsertAsync(new ReminderEntry(grain, "r", T0, null, T0), null, Ct);

        Assert.True(await _table.RemoveAsync(grain, "r", null, Ct));
        Assert.Null(await _table.ReadAsync(grain, "r", Ct));
        Assert.False(await _table.RemoveAsync(grain, "r", null, Ct));
    }

    [Fact]
    public async Task Reading_for_a_grain_returns_only_its_reminders_ordered_by_name()
    {
        var grain = NewGrain();
        var other = NewGrain();
        var sameKeyOtherType = new GrainId("OrderGrain", grain.Key);
        await _table.UpsertAsync(new ReminderEntry(grain, "b", T0, null, T0), null, Ct);
        await _table.UpsertAsync(new ReminderEntry(grain, "a", T0, TimeSpan.FromSeconds(5), T0), null, Ct);
        await _table.UpsertAsync(new ReminderEntry(other, "a", T0, null, T0), null, Ct);
        await _table.UpsertAsync(new ReminderEntry(sameKeyOtherType, "c", T0, null, T0), null, Ct);

        var entries = await _table.ReadForGrainAsync(grain, Ct);

        Assert.Equal(["a", "b"], entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.Equal(grain, e.GrainId));
    }

    [Fact]
    public async Task Advancing_moves_only_the_due_time()
    {
        var grain = NewGrain();
        var entry = new ReminderEntry(grain, "tick", T0, TimeSpan.FromMinutes(5), T0);
        await _table.UpsertAsync(entry, null, Ct);

        await _table.AdvanceAsync(grain, "tick", T0.AddMinutes(5), null, Ct);

        Assert.Equal(entry with { DueAt = T0.AddMinutes(5) }, await _table.ReadAsync(grain, "tick", Ct));
    }

    [Fact]
    public async Task Advancing_a_missing_reminder_does_not_create_it()
    {
        var grain = NewGrain();

        await _table.AdvanceAsync(grain, "gone", T0, null, Ct);

        Assert.Null(await _table.ReadAsync(grain, "gone", Ct));
    }

    [Fact]
    public async Task A_non_positive_period_is_rejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(
            () => _table.UpsertAsync(new ReminderEntry(NewGrain(), "r", T0, TimeSpan.Zero, T0), null, Ct));
    }
}

/// <summary>ReadDueAsync sees the whole table, so it gets a database of its own.</summary>
public sealed class PostgresReminderTableDueTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>
{
    static readonly CancellationToken Ct = CancellationToken.None;
    static readonly DateTimeOffset T0 = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    readonly PostgresReminderTable _table = new(fixture.DataSource);

    [Fact]
    public async Task Due_reminders_come_back_earliest_first_up_to_and_including_the_bound()
    {
        var a = new GrainId("CartGrain", "a");
        var b = new GrainId("OrderGrain", "b");
        // Inserted out of order on purpose.
        var late = new ReminderEntry(a, "late", T0, TimeSpan.FromHours(1), T0.AddMinutes(10));
        var exact = new ReminderEntry(b, "exact", T0, null, T0.AddMinutes(5));
        var earliest = new ReminderEntry(b, "earliest", T0, TimeSpan.FromMinutes(1), T0.AddMinutes(-30));
        var middle = new ReminderEntry(a, "middle", T0, null, T0);
        var notYet = new ReminderEntry(a, "not-yet", T0, null, T0.AddMinutes(5).AddTicks(10));
        foreach (var entry in new[] { late, exact, earliest, middle, notYet })
        {
            await _table.UpsertAsync(entry, null, Ct);
        }

        Assert.Empty(await _table.ReadDueAsync(T0.AddHours(-1), null, Ct));
        Assert.Equal([earliest, middle, exact], await _table.ReadDueAsync(T0.AddMinutes(5), null, Ct));
        Assert.Equal([earliest, middle, exact, notYet, late], await _table.ReadDueAsync(T0.AddDays(1), null, Ct));

        // Advancing and removing change what is due.
        await _table.AdvanceAsync(b, "earliest", T0.AddMinutes(20), null, Ct);
        Assert.True(await _table.RemoveAsync(a, "middle", null, Ct));
        Assert.Equal([exact], await _table.ReadDueAsync(T0.AddMinutes(5), null, Ct));
        Assert.Equal(
            [exact, notYet, late, earliest with { DueAt = T0.AddMinutes(20) }],
            await _table.ReadDueAsync(T0.AddDays(1), null, Ct));

        // The bound may carry any offset: it is the instant that counts.
        Assert.Equal([exact], await _table.ReadDueAsync(T0.AddMinutes(5).ToOffset(TimeSpan.FromHours(-7)), null, Ct));
    }
}
