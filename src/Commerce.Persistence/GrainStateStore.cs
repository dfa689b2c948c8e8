using System.Data;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace Commerce.Persistence;

/// <summary>A stored state document and the version that acts as its ETag.</summary>
public sealed record StoredState(byte[] Json, long Version);

/// <summary>A journal row to commit with a state write: its kind and its JSON document.</summary>
public sealed record JournalRecord(string Kind, byte[] Json);

/// <summary>A committed journal row: its global sequence number, the state version it was written with, and when.</summary>
public sealed record StoredJournalRecord(long Sequence, long Version, string Kind, byte[] Json, DateTimeOffset CreatedAt);

/// <summary>
/// Grain state in <c>grain_state</c> and its journal in <c>grain_journal</c> (migrations of component
/// <see cref="PersistenceServiceCollectionExtensions.MigrationComponent"/>). Every write and clear is one
/// statement in one round trip whose WHERE clause carries the version check, so a stale writer (a
/// duplicate activation during a membership change, a silo resumed after it was declared dead) can
/// never overwrite: when the statement touches no row, the stored version is read (on the failure path
/// only) and <see cref="InconsistentStateException"/> is thrown. Journal rows are inserted by the same
/// statement from the version the state write returned, so a refused write inserts none. Npgsql's
/// errors leave as <see cref="DatabaseUnavailableException"/> or <see cref="DatabaseException"/>.
/// </summary>
/// <remarks>
/// Payloads are jsonb, sent as the caller's UTF-8 bytes and read back as bytes with no string between.
/// jsonb keeps the JSON's meaning, not its text (whitespace and key order are normalized).
/// </remarks>
public sealed class GrainStateStore(NpgsqlDataSource dataSource)
{
    private const string ReadSql =
        "SELECT payload, version FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3";

    private const string ReadVersionSql =
        "SELECT version FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3";

    private const string InsertSql =
        "INSERT INTO grain_state (grain_type, grain_key, state_name, version, payload) VALUES ($1, $2, $3, 1, $4) " +
        "ON CONFLICT DO NOTHING RETURNING version";

    private const string UpdateSql =
        "UPDATE grain_state SET payload = $4, version = version + 1, updated_at = now() " +
        "WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND version = $5 RETURNING version";

    // With a journal: $1..$3 key, $4 payload, then (updates) $5 the expected version, then the rows' kinds and payloads.
    private static readonly string InsertWithJournalSql = WithJournal(InsertSql, kinds: 5);
    private static readonly string UpdateWithJournalSql = WithJournal(UpdateSql, kinds: 6);

    /// <summary>
    /// The journal rows go in through a data-modifying CTE, which PostgreSQL runs to completion whether or not
    /// its output is read; the statement answers one row, the written version, however many rows it inserts
    /// (none when the version check refused). So no write leaves unread rows on its connection for a reader's
    /// disposal to drain before the connection goes back to the pool.
    /// </summary>
    private static string WithJournal(string write, int kinds) =>
        $"WITH written AS ({write}), journal AS (" +
        "INSERT INTO grain_journal (grain_type, grain_key, state_name, version, kind, payload) " +
        $"SELECT $1, $2, $3, w.version, j.kind, j.payload::jsonb FROM written w, unnest(${kinds}::text[], ${kinds + 1}::text[]) WITH ORDINALITY AS j(kind, payload, ord) " +
        "ORDER BY j.ord) SELECT version FROM written";

    private const string ReadJournalSql =
        "SELECT sequence, version, kind, payload, created_at FROM grain_journal " +
        "WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND kind = $4 AND sequence > $5 ORDER BY sequence LIMIT $6";

    private const string DeleteSql =
        "DELETE FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND version = $4";

    public Task<StoredState?> ReadAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken) =>
        Portable(ReadCoreAsync(grainType, grainKey, stateName, cancellationToken));

    private async Task<StoredState?> ReadCoreAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReadSql);
        AddKey(command.Parameters, grainType, grainKey, stateName);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        return new StoredState(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Writes <paramref name="json"/> if the stored version equals <paramref name="expectedVersion"/> (null: no
    /// row may exist yet), with <paramref name="journal"/> in the same statement. Returns the new version once committed.
    /// </summary>
    public Task<long> WriteAsync(string grainType, string grainKey, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion,
        IReadOnlyList<JournalRecord> journal, CancellationToken cancellationToken)
    {
        if (json.IsEmpty)
        {
            throw new ArgumentException("A state payload must be a JSON document, not empty.", nameof(json));
        }
        return Portable(WriteCoreAsync(grainType, grainKey, stateName, json, expectedVersion, journal, cancellationToken));
    }

    private async Task<long> WriteCoreAsync(string grainType, string grainKey, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion,
        IReadOnlyList<JournalRecord> journal, CancellationToken cancellationToken)
    {
        var sql = (expectedVersion, journal.Count) switch
        {
            (null, 0) => InsertSql,
            (null, _) => InsertWithJournalSql,
            (_, 0) => UpdateSql,
            _ => UpdateWithJournalSql,
        };
        await using var command = dataSource.CreateCommand(sql);
        var parameters = command.Parameters;
        AddKey(parameters, grainType, grainKey, stateName);
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

        // One row (the new version) or none (the version check refused): a scalar, read whole.
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long version)
        {
            return version;
        }
        throw await ConflictAsync("writing", grainType, grainKey, stateName, expectedVersion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Journal rows of one state and kind in commit order after <paramref name="afterSequence"/> (0: from the start), at most <paramref name="limit"/>.</summary>
    public Task<IReadOnlyList<StoredJournalRecord>> ReadJournalAsync(string grainType, string grainKey, string stateName, string kind,
        long afterSequence, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Portable(ReadJournalCoreAsync(grainType, grainKey, stateName, kind, afterSequence, limit, cancellationToken));
    }

    private async Task<IReadOnlyList<StoredJournalRecord>> ReadJournalCoreAsync(string grainType, string grainKey, string stateName, string kind,
        long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReadJournalSql);
        AddKey(command.Parameters, grainType, grainKey, stateName);
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

    /// <summary>Deletes the stored state under the same version rule as <see cref="WriteAsync"/>; clearing nothing is a no-op.</summary>
    public Task ClearAsync(string grainType, string grainKey, string stateName, long? expectedVersion, CancellationToken cancellationToken) =>
        Portable(ClearCoreAsync(grainType, grainKey, stateName, expectedVersion, cancellationToken));

    private async Task ClearCoreAsync(string grainType, string grainKey, string stateName, long? expectedVersion, CancellationToken cancellationToken)
    {
        if (expectedVersion is not { } expected)
        {
            var stored = await ReadVersionAsync(grainType, grainKey, stateName, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return;
            }
            throw Conflict("clearing", grainType, grainKey, stateName, expectedVersion, stored);
        }
        await using var command = dataSource.CreateCommand(DeleteSql);
        AddKey(command.Parameters, grainType, grainKey, stateName);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expected });
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            throw await ConflictAsync("clearing", grainType, grainKey, stateName, expectedVersion, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Npgsql's exceptions do not cross Orleans' wire: callers in other processes get one that does.</summary>
    private async Task<T> Portable<T>(Task<T> operation)
    {
        try
        {
            return await operation.ConfigureAwait(false);
        }
        catch (NpgsqlException error)
        {
            throw Translated(error);
        }
    }

    private async Task Portable(Task operation)
    {
        try
        {
            await operation.ConfigureAwait(false);
        }
        catch (NpgsqlException error)
        {
            throw Translated(error);
        }
    }

    private Exception Translated(NpgsqlException error)
    {
        DatabaseFaults.ForgetBrokenConnections(dataSource, error);
        return DatabaseFaults.Portable(error);
    }

    private static void AddKey(NpgsqlParameterCollection parameters, string grainType, string grainKey, string stateName)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = grainType });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = grainKey });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = stateName });
    }

    private async Task<long?> ReadVersionAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReadVersionSql);
        AddKey(command.Parameters, grainType, grainKey, stateName);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetInt64(0) : null;
    }

    private async Task<InconsistentStateException> ConflictAsync(string operation, string grainType, string grainKey, string stateName, long? expectedVersion, CancellationToken cancellationToken)
    {
        var stored = await ReadVersionAsync(grainType, grainKey, stateName, cancellationToken).ConfigureAwait(false);
        return Conflict(operation, grainType, grainKey, stateName, expectedVersion, stored);
    }

    private static InconsistentStateException Conflict(string operation, string grainType, string grainKey, string stateName, long? expectedVersion, long? storedVersion)
    {
        var expected = expectedVersion?.ToString(CultureInfo.InvariantCulture);
        var stored = storedVersion?.ToString(CultureInfo.InvariantCulture);
        return new InconsistentStateException(
            $"Version conflict {operation} state '{stateName}' of grain {grainType}/{grainKey}: expected version {expected ?? "none (no stored state)"}, " +
            $"but storage holds {(stored is null ? "no state" : "version " + stored)}. Nothing was changed.",
            storedEtag: stored!,
            currentEtag: expected!);
    }
}
