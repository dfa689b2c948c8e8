using System.Data;
using System.Globalization;
using Commerce.Runtime.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Runtime.PostgreSql;

/// <summary>
/// <see cref="IGrainStorage"/> over the <c>grain_state</c> table (migration <c>runtime/0001</c>). Every write and
/// clear is one statement in one round trip whose WHERE clause carries the version check, so a stale writer can
/// never overwrite: when the statement touches no row, the stored version is read (a second round trip, on the
/// failure path only) and <see cref="InconsistentStateException"/> is thrown.
/// </summary>
/// <remarks>
/// Payloads are stored as <c>jsonb</c>, sent as the caller's UTF-8 bytes and read back as UTF-8 bytes with no
/// string in between. <c>jsonb</c> keeps the JSON's meaning, not its text: whitespace, key order and duplicate
/// keys are normalized, so the bytes read back need not equal the bytes written.
/// For throughput, let Npgsql prepare these statements (<c>Max Auto Prepare</c> in the connection string).
/// </remarks>
public sealed class PostgresGrainStorage : IGrainStorage
{
    // One statement per operation; a future lease-epoch fence goes into these WHERE clauses.
    const string ReadSql =
        "SELECT payload, version FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3";

    const string ReadVersionSql =
        "SELECT version FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3";

    // The eight write statements, indexed by WriteShape: built once from their parts.
    static readonly string[] WriteStatements = Enumerable.Range(0, 8).Select(shape => BuildWrite((WriteShape)shape)).ToArray();

    [Flags]
    enum WriteShape
    {
        Insert = 0,
        Update = 1,
        Journal = 2,
        Fenced = 4,
    }

    /// <summary>
    /// One statement per shape. Parameters: $1..$3 key, $4 payload, then the expected version
    /// (updates), the journal's kinds and payloads, and the fence's partition, epoch and owner.
    /// With a journal, the inserts read the version the state write returned, so a refused write
    /// inserts nothing.
    /// </summary>
    static string BuildWrite(WriteShape shape)
    {
        var update = shape.HasFlag(WriteShape.Update);
        var journal = shape.HasFlag(WriteShape.Journal);
        var fenced = shape.HasFlag(WriteShape.Fenced);
        var next = update ? 6 : 5;
        var kinds = journal ? next : 0;
        next += journal ? 2 : 0;
        var fence = fenced ? LeaseFence.Cte(next) : null;
        var fenceCondition = fenced ? " AND " + LeaseFence.Holds : "";

        var write = update
            ? "UPDATE grain_state SET payload = $4, version = version + 1, updated_at = now() " +
              "WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND version = $5" + fenceCondition + " RETURNING version"
            : "INSERT INTO grain_state (grain_type, grain_key, state_name, version, payload) SELECT $1, $2, $3, 1, $4" +
              (fenced ? " WHERE " + LeaseFence.Holds : "") + " ON CONFLICT DO NOTHING RETURNING version";

        var ctes = new List<string>();
        if (fence is not null)
        {
            ctes.Add(fence);
        }
        if (!journal)
        {
            return ctes.Count == 0 ? write : $"WITH {string.Join(", ", ctes)} {write}";
        }
        ctes.Add($"written AS ({write})");
        return $"WITH {string.Join(", ", ctes)} " +
            "INSERT INTO grain_journal (grain_type, grain_key, state_name, version, kind, payload) " +
            $"SELECT $1, $2, $3, w.version, j.kind, j.payload::jsonb FROM written w, unnest(${kinds}::text[], ${kinds + 1}::text[]) WITH ORDINALITY AS j(kind, payload, ord) " +
            "ORDER BY j.ord RETURNING version";
    }

    const string ReadJournalSql =
        "SELECT sequence, version, kind, payload, created_at FROM grain_journal " +
        "WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND kind = $4 AND sequence > $5 ORDER BY sequence LIMIT $6";

    const string DeleteSql =
        "DELETE FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND version = $4";

    static readonly string FencedDeleteSql =
        "WITH " + LeaseFence.Cte(5) + " " +
        "DELETE FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND version = $4 AND " + LeaseFence.Holds;

    readonly NpgsqlDataSource _dataSource;

    public PostgresGrainStorage(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    public async Task<StoredState?> ReadAsync(GrainId grainId, string stateName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        await using var command = _dataSource.CreateCommand(ReadSql);
        AddKey(command.Parameters, grainId, stateName);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        var json = reader.GetFieldValue<byte[]>(0);
        var version = reader.GetInt64(1);
        return new StoredState(json, version);
    }

    public async Task<long> WriteAsync(GrainId grainId, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion, IReadOnlyList<JournalRecord> journal, StorageFence? fence, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (json.IsEmpty)
        {
            throw new ArgumentException("A state payload must be a JSON document, not empty.", nameof(json));
        }

        var shape = (expectedVersion is null ? WriteShape.Insert : WriteShape.Update)
            | (journal.Count > 0 ? WriteShape.Journal : 0)
            | (fence is null ? 0 : WriteShape.Fenced);
        await using var command = _dataSource.CreateCommand(WriteStatements[(int)shape]);
        var parameters = command.Parameters;
        AddKey(parameters, grainId, stateName);
        parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = json, NpgsqlDbType = NpgsqlDbType.Jsonb });
        if (expectedVersion is { } expected)
        {
            parameters.Add(new NpgsqlParameter<long> { TypedValue = expected });
        }
        if (journal.Count > 0)
        {
            var kinds = new string[journal.Count];
            var payloads = new string[journal.Count];
            for (var i = 0; i < journal.Count; i++)
            {
                kinds[i] = journal[i].Kind;
                payloads[i] = System.Text.Encoding.UTF8.GetString(journal[i].Json);
            }
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = payloads });
        }
        AddFence(parameters, fence);

        long? written = null;
        await using (var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                written = reader.GetInt64(0);
            }
        }
        if (written is { } version)
        {
            return version;
        }
        await ThrowIfLeaseLostAsync("writing", grainId, stateName, fence, cancellationToken).ConfigureAwait(false);
        throw await ConflictAsync("writing", grainId, stateName, expectedVersion, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StoredJournalRecord>> ReadJournalAsync(GrainId grainId, string stateName, string kind, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var command = _dataSource.CreateCommand(ReadJournalSql);
        AddKey(command.Parameters, grainId, stateName);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSequence });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var records = new List<StoredJournalRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(new StoredJournalRecord(
                reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return records;
    }

    public async Task ClearAsync(GrainId grainId, string stateName, long? expectedVersion, StorageFence? fence, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (expectedVersion is not { } expected)
        {
            // "No row may exist": clearing nothing is a no-op, clearing a row we do not know about is a conflict.
            var stored = await ReadVersionAsync(grainId, stateName, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return;
            }
            throw Conflict("clearing", grainId, stateName, expectedVersion, stored);
        }

        await using var command = _dataSource.CreateCommand(fence is null ? DeleteSql : FencedDeleteSql);
        AddKey(command.Parameters, grainId, stateName);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expected });
        AddFence(command.Parameters, fence);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
        {
            return;
        }
        await ThrowIfLeaseLostAsync("clearing", grainId, stateName, fence, cancellationToken).ConfigureAwait(false);
        throw await ConflictAsync("clearing", grainId, stateName, expectedVersion, cancellationToken).ConfigureAwait(false);
    }

    static void AddFence(NpgsqlParameterCollection parameters, StorageFence? fence)
    {
        if (fence is { } f)
        {
            LeaseFence.AddParameters(parameters, f);
        }
    }

    Task ThrowIfLeaseLostAsync(string operation, GrainId grainId, string stateName, StorageFence? fence, CancellationToken cancellationToken) =>
        LeaseFence.ThrowIfLostAsync(_dataSource, fence, $"{operation} state '{stateName}' of grain {grainId}", cancellationToken);

    static void AddKey(NpgsqlParameterCollection parameters, GrainId grainId, string stateName)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Type });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Key });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = stateName });
    }

    async Task<long?> ReadVersionAsync(GrainId grainId, string stateName, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(ReadVersionSql);
        AddKey(command.Parameters, grainId, stateName);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetInt64(0) : null;
    }

    async Task<InconsistentStateException> ConflictAsync(string operation, GrainId grainId, string stateName, long? expectedVersion, CancellationToken cancellationToken)
    {
        var stored = await ReadVersionAsync(grainId, stateName, cancellationToken).ConfigureAwait(false);
        return Conflict(operation, grainId, stateName, expectedVersion, stored);
    }

    static InconsistentStateException Conflict(string operation, GrainId grainId, string stateName, long? expectedVersion, long? storedVersion)
    {
        var expected = expectedVersion?.ToString(CultureInfo.InvariantCulture);
        var stored = storedVersion?.ToString(CultureInfo.InvariantCulture);
        return new InconsistentStateException(
            $"Version conflict {operation} state '{stateName}' of grain {grainId}: expected version {expected ?? "none (no stored state)"}, " +
            $"but storage holds {(stored is null ? "no state" : "version " + stored)}. Nothing was changed.",
            storedEtag: stored,
            currentEtag: expected);
    }
}
