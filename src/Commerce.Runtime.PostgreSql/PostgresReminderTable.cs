using System.Data;
using Commerce.Runtime.Storage;
using Commerce.Runtime.Reminders;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Runtime.PostgreSql;

/// <summary>
/// <see cref="IReminderTable"/> over the <c>reminders</c> table (migration <c>runtime/0002</c>). Times are stored as
/// <c>timestamptz</c> and periods as <c>interval</c>, both with microsecond precision: finer ticks are truncated.
/// Times read back are in UTC (offset zero).
/// </summary>
public sealed class PostgresReminderTable : IReminderTable
{
    // One statement per operation. Writes come in plain and fenced forms (see LeaseFence).
    const string Columns = "grain_type, grain_key, name, first_due_at, period, due_at";

    const string UpsertCore =
        "INSERT INTO reminders (" + Columns + ", partition) SELECT $1, $2, $3, $4, $5, $6, $7{0} " +
        "ON CONFLICT (grain_type, grain_key, name) DO UPDATE SET " +
        "first_due_at = excluded.first_due_at, period = excluded.period, due_at = excluded.due_at, partition = excluded.partition";

    static readonly string UpsertSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, UpsertCore, "");
    static readonly string FencedUpsertSql = "WITH " + LeaseFence.Cte(8) + " " +
        string.Format(System.Globalization.CultureInfo.InvariantCulture, UpsertCore, " WHERE " + LeaseFence.Holds);

    const string RemoveSql =
        "DELETE FROM reminders WHERE grain_type = $1 AND grain_key = $2 AND name = $3";

    static readonly string FencedRemoveSql = "WITH " + LeaseFence.Cte(4) + " " + RemoveSql + " AND " + LeaseFence.Holds;

    const string ReadDueInPartitionsSql =
        "SELECT " + Columns + " FROM reminders WHERE due_at <= $1 AND partition = ANY($2) ORDER BY due_at, grain_type, grain_key, name";

    const string ReadSql =
        "SELECT " + Columns + " FROM reminders WHERE grain_type = $1 AND grain_key = $2 AND name = $3";

    const string ReadForGrainSql =
        "SELECT " + Columns + " FROM reminders WHERE grain_type = $1 AND grain_key = $2 ORDER BY name";

    const string ReadDueSql =
        "SELECT " + Columns + " FROM reminders WHERE due_at <= $1 ORDER BY due_at, grain_type, grain_key, name";

    // min(due_at) is read from reminders_due_at_idx; count(*) scans, which stays cheap at reminder-table sizes.
    const string SummarizeSql = "SELECT count(*), min(due_at) FROM reminders";

    const string AdvanceSql =
        "UPDATE reminders SET due_at = $4 WHERE grain_type = $1 AND grain_key = $2 AND name = $3";

    static readonly string FencedAdvanceSql = "WITH " + LeaseFence.Cte(5) + " " + AdvanceSql + " AND " + LeaseFence.Holds;

    readonly NpgsqlDataSource _dataSource;

    public PostgresReminderTable(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    public async Task UpsertAsync(ReminderEntry entry, StorageFence? fence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.Name);
        if (entry.Period is { } period && period <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Reminder '{entry.Name}' of {entry.GrainId} has a period of {period}; a period must be positive (null for one-shot).", nameof(entry));
        }

        await using var command = _dataSource.CreateCommand(fence is null ? UpsertSql : FencedUpsertSql);
        var parameters = command.Parameters;
        AddKey(parameters, entry.GrainId, entry.Name);
        parameters.Add(Timestamp(entry.FirstDueAt));
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Interval, Value = entry.Period is { } p ? p : DBNull.Value });
        parameters.Add(Timestamp(entry.DueAt));
        parameters.Add(new NpgsqlParameter<int> { TypedValue = Cluster.PartitionMap.PartitionOf(entry.GrainId) });
        AddFence(parameters, fence);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            await LeaseFence.ThrowIfLostAsync(_dataSource, fence, $"registering reminder '{entry.Name}' of {entry.GrainId}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<bool> RemoveAsync(GrainId grainId, string name, StorageFence? fence, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        await using var command = _dataSource.CreateCommand(fence is null ? RemoveSql : FencedRemoveSql);
        AddKey(command.Parameters, grainId, name);
        AddFence(command.Parameters, fence);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            return true;
        }
        await LeaseFence.ThrowIfLostAsync(_dataSource, fence, $"removing reminder '{name}' of {grainId}", cancellationToken).ConfigureAwait(false);
        return false;
    }

    public async Task<ReminderEntry?> ReadAsync(GrainId grainId, string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        await using var command = _dataSource.CreateCommand(ReadSql);
        AddKey(command.Parameters, grainId, name);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEntry(reader) : null;
    }

    public async Task<IReadOnlyList<ReminderEntry>> ReadForGrainAsync(GrainId grainId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(ReadForGrainSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Key });
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ReminderEntry>> ReadDueAsync(DateTimeOffset dueBefore, IReadOnlyCollection<int>? partitions, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(partitions is null ? ReadDueSql : ReadDueInPartitionsSql);
        command.Parameters.Add(Timestamp(dueBefore));
        if (partitions is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. partitions] });
        }
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the next due time. A reminder that no longer exists (removed meanwhile) is left alone.</summary>
    public async Task AdvanceAsync(GrainId grainId, string name, DateTimeOffset nextDueAt, StorageFence? fence, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        await using var command = _dataSource.CreateCommand(fence is null ? AdvanceSql : FencedAdvanceSql);
        AddKey(command.Parameters, grainId, name);
        command.Parameters.Add(Timestamp(nextDueAt));
        AddFence(command.Parameters, fence);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            await LeaseFence.ThrowIfLostAsync(_dataSource, fence, $"advancing reminder '{name}' of {grainId}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ReminderTableSummary> SummarizeAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(SummarizeSql);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new ReminderTableSummary(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }

    static void AddFence(NpgsqlParameterCollection parameters, StorageFence? fence)
    {
        if (fence is { } f)
        {
            LeaseFence.AddParameters(parameters, f);
        }
    }

    static void AddKey(NpgsqlParameterCollection parameters, GrainId grainId, string name)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Type });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Key });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
    }

    // Npgsql writes timestamptz only from UTC values (offset zero); any other offset is an error, so normalize.
    static NpgsqlParameter<DateTimeOffset> Timestamp(DateTimeOffset value)
        => new() { TypedValue = value.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz };

    static async Task<IReadOnlyList<ReminderEntry>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var entries = new List<ReminderEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ReadEntry(reader));
        }
        return entries;
    }

    static ReminderEntry ReadEntry(NpgsqlDataReader reader)
        => new(
            new GrainId(reader.GetString(0), reader.GetString(1)),
            reader.GetString(2),
            reader.GetFieldValue<DateTimeOffset>(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<TimeSpan>(4),
            reader.GetFieldValue<DateTimeOffset>(5));
}
