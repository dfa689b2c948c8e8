using System.Data;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace Commerce.Persistence;

/// <summary>A stored state document and the version that acts as its ETag.</summary>
public sealed record StoredState(byte[] Json, long Version);

/// <summary>A journal row to commit with a state write: its kind and its JSON document.</summary>
public sealed record JournalRecord(string Kind, byte[] Json);

/// <summary>One state write of a batch: the row, its document, the version it expects (null: none stored yet) and its journal rows.</summary>
public sealed record StateWrite(string GrainType, string GrainKey, string StateName, ReadOnlyMemory<byte> Json, long? ExpectedVersion, IReadOnlyList<JournalRecord> Journal);

/// <summary>What one write of a batch came to: its new version, or the error that fails it alone.</summary>
internal readonly record struct WriteOutcome(long Version, Exception? Error);

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

    /// <summary>
    /// <see cref="WriteBatchAsync"/>: the writes as arrays ($1..$3 keys, $4 payloads, $5 expected versions, null for
    /// an insert), their journal rows as arrays ($6 the 1-based write each belongs to, $7 kinds, $8 payloads). The
    /// updates and inserts touch distinct rows (a write is one or the other), each under its own condition; the
    /// answer is one row (ordinal, new version) per write that went in.
    /// </summary>
    private const string BatchSql =
        "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) " +
        "WITH ORDINALITY AS i(grain_type, grain_key, state_name, payload, expected, ord)), " +
        "updated AS (UPDATE grain_state s SET payload = i.payload::jsonb, version = s.version + 1, updated_at = now() FROM input i " +
        "WHERE i.expected IS NOT NULL AND s.grain_type = i.grain_type AND s.grain_key = i.grain_key AND s.state_name = i.state_name " +
        "AND s.version = i.expected RETURNING i.ord, s.version), " +
        "inserted AS (INSERT INTO grain_state (grain_type, grain_key, state_name, version, payload) " +
        "SELECT grain_type, grain_key, state_name, 1, payload::jsonb FROM input WHERE expected IS NULL ORDER BY ord " +
        "ON CONFLICT DO NOTHING RETURNING grain_type, grain_key, state_name, version), " +
        "written AS (SELECT ord, version FROM updated UNION ALL " +
        "SELECT i.ord, n.version FROM inserted n JOIN input i ON i.expected IS NULL AND i.grain_type = n.grain_type " +
        "AND i.grain_key = n.grain_key AND i.state_name = n.state_name), " +
        "journal AS (INSERT INTO grain_journal (grain_type, grain_key, state_name, version, kind, payload) " +
        "SELECT i.grain_type, i.grain_key, i.state_name, w.version, j.kind, j.payload::jsonb " +
        "FROM unnest($6::bigint[], $7::text[], $8::text[]) WITH ORDINALITY AS j(write, kind, payload, ord) " +
        "JOIN written w ON w.ord = j.write JOIN input i ON i.ord = j.write ORDER BY j.ord) " +
        "SELECT ord, version FROM written";

    private const string ReadJournalSql =
        "SELECT sequence, version, kind, payload, created_at FROM grain_journal " +
        "WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND kind = $4 AND sequence > $5 ORDER BY sequence LIMIT $6";

    private const string DeleteSql =
        "DELETE FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND version = $4";

    public Task<StoredState?> ReadAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken) =>
        Portable(ReadCoreAsync(grainType, grainKey, stateName, cancellationToken));

    private Task<StoredState?> ReadCoreAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken) =>
        RunPreparedAsync(ReadSql, parameters => AddKey(parameters, grainType, grainKey, stateName), async (command, cancellationToken) =>
        {
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? new StoredState(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1)) : null;
        }, cancellationToken);

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
        void Bind(NpgsqlParameterCollection parameters)
        {
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
                    payloads[i] = Encoding.UTF8.GetString(journal[i].Json);
                }
                parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds });
                parameters.Add(new NpgsqlParameter<string[]> { TypedValue = payloads });
            }
        }

        // One row (the new version) or none (the version check refused): a scalar, read whole.
        if (await RunPreparedAsync(sql, Bind, (command, cancellationToken) => command.ExecuteScalarAsync(cancellationToken), cancellationToken).ConfigureAwait(false) is long version)
        {
            return version;
        }
        throw await ConflictAsync("writing", grainType, grainKey, stateName, expectedVersion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes many states in one statement, one round trip: each row under the same rule as <see cref="WriteAsync"/>
    /// (an insert when it expects no stored row, else an update of the version it names), with its journal rows,
    /// which go in only for rows whose state write went in. Answers one outcome per write, in order: the new version,
    /// or the error that write alone gets (a version conflict, a refused row). A failure of the round trip itself
    /// (connection broken, server down) throws, as <see cref="WriteAsync"/> does: every write of it is in doubt.
    /// The writes must name distinct rows.
    /// </summary>
    /// <remarks>
    /// One statement over arrays rather than an <c>NpgsqlBatch</c> of per-row statements with savepoints: one
    /// parse/plan (prepared once, whatever the batch size, since the text does not vary), one set of locks and one
    /// commit, and per-row isolation for free from the WHERE clauses. The price is that a row the server refuses
    /// (text jsonb cannot hold) fails the statement as a whole; since that undid everything, the writes are then
    /// made one by one, so the bad row fails alone — a path taken only on a refusal.
    /// </remarks>
    internal async Task<WriteOutcome[]> WriteBatchAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken)
    {
        if (writes.Count == 1)
        {
            return [await OutcomeOf(writes[0], cancellationToken).ConfigureAwait(false)];
        }
        long?[] versions;
        try
        {
            versions = await WriteBatchCoreAsync(writes, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException refused) when (!DatabaseFaults.IsTransient(refused))
        {
            return await Task.WhenAll(writes.Select(write => OutcomeOf(write, cancellationToken))).ConfigureAwait(false);
        }
        catch (NpgsqlException error)
        {
            throw Translated(error);
        }
        var outcomes = new WriteOutcome[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            outcomes[i] = versions[i] is { } version ? new WriteOutcome(version, null) : await ConflictOutcome(writes[i], cancellationToken).ConfigureAwait(false);
        }
        return outcomes;
    }

    /// <summary>One write on its own, its failure (whatever it is) its outcome.</summary>
    private async Task<WriteOutcome> OutcomeOf(StateWrite write, CancellationToken cancellationToken)
    {
        try
        {
            return new WriteOutcome(await WriteAsync(write.GrainType, write.GrainKey, write.StateName, write.Json, write.ExpectedVersion, write.Journal, cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception error)
        {
            return new WriteOutcome(0, error);
        }
    }

    /// <summary>A write of a batch that its version check refused: the conflict, read on this failure path only.</summary>
    private async Task<WriteOutcome> ConflictOutcome(StateWrite write, CancellationToken cancellationToken)
    {
        try
        {
            return new WriteOutcome(0, await ConflictAsync("writing", write.GrainType, write.GrainKey, write.StateName, write.ExpectedVersion, cancellationToken).ConfigureAwait(false));
        }
        catch (NpgsqlException error)
        {
            return new WriteOutcome(0, Translated(error));
        }
    }

    /// <summary>The new version of each write, or null where its version check refused it.</summary>
    private async Task<long?[]> WriteBatchCoreAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken)
    {
        var journalRows = writes.Sum(w => w.Journal.Count);
        var types = new string[writes.Count];
        var keys = new string[writes.Count];
        var names = new string[writes.Count];
        var payloads = new string[writes.Count];
        var expected = new long?[writes.Count];
        var journalOf = new long[journalRows];
        var kinds = new string[journalRows];
        var journalPayloads = new string[journalRows];
        for (int i = 0, j = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            if (write.Json.IsEmpty)
            {
                throw new ArgumentException("A state payload must be a JSON document, not empty.", nameof(writes));
            }
            (types[i], keys[i], names[i], expected[i]) = (write.GrainType, write.GrainKey, write.StateName, write.ExpectedVersion);
            payloads[i] = Encoding.UTF8.GetString(write.Json.Span);
            foreach (var record in write.Journal)
            {
                (journalOf[j], kinds[j], journalPayloads[j]) = (i + 1, record.Kind, Encoding.UTF8.GetString(record.Json));
                j++;
            }
        }
        return await RunPreparedAsync(BatchSql, parameters =>
        {
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = types });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = payloads });
            parameters.Add(new NpgsqlParameter<long?[]> { TypedValue = expected });
            parameters.Add(new NpgsqlParameter<long[]> { TypedValue = journalOf });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = journalPayloads });
        }, async (command, cancellationToken) =>
        {
            var versions = new long?[writes.Count];
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                versions[reader.GetInt64(0) - 1] = reader.GetInt64(1);
            }
            return versions;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Journal rows of one state and kind in commit order after <paramref name="afterSequence"/> (0: from the start), at most <paramref name="limit"/>.</summary>
    public Task<IReadOnlyList<StoredJournalRecord>> ReadJournalAsync(string grainType, string grainKey, string stateName, string kind,
        long afterSequence, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Portable(ReadJournalCoreAsync(grainType, grainKey, stateName, kind, afterSequence, limit, cancellationToken));
    }

    private Task<IReadOnlyList<StoredJournalRecord>> ReadJournalCoreAsync(string grainType, string grainKey, string stateName, string kind,
        long afterSequence, int limit, CancellationToken cancellationToken) =>
        RunPreparedAsync(ReadJournalSql, parameters =>
        {
            AddKey(parameters, grainType, grainKey, stateName);
            parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
            parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSequence });
            parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        }, async (command, cancellationToken) =>
        {
            var records = new List<StoredJournalRecord>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                records.Add(new StoredJournalRecord(
                    reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<DateTimeOffset>(4)));
            }
            return (IReadOnlyList<StoredJournalRecord>)records;
        }, cancellationToken);

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
        var deleted = await RunPreparedAsync(DeleteSql, parameters =>
        {
            AddKey(parameters, grainType, grainKey, stateName);
            parameters.Add(new NpgsqlParameter<long> { TypedValue = expected });
        }, (command, cancellationToken) => command.ExecuteNonQueryAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        if (deleted != 1)
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

    private Task<long?> ReadVersionAsync(string grainType, string grainKey, string stateName, CancellationToken cancellationToken) =>
        RunPreparedAsync(ReadVersionSql, parameters => AddKey(parameters, grainType, grainKey, stateName), async (command, cancellationToken) =>
        {
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetInt64(0) : (long?)null;
        }, cancellationToken);

    /// <summary>
    /// Runs <paramref name="sql"/> on a pooled connection of its own, prepared there explicitly: once per connection,
    /// since Npgsql keeps a prepared statement for the connection's life, so later runs cost neither a round trip
    /// nor planning. Not Npgsql's automatic preparation (which deploy/ therefore leaves off): when the run that would
    /// prepare a statement automatically fails on its data (a value PostgreSQL refuses while binding it), Npgsql
    /// 10.0.3 keeps the statement without its result description, and that connection's next run of it fails on
    /// the first row the server sends back (Npgsql issue 6391, open) — although the server did commit that run. One
    /// caller's bad row would fail a later caller's good write and leave its outcome in doubt.
    /// </summary>
    private async Task<T> RunPreparedAsync<T>(string sql, Action<NpgsqlParameterCollection> bind,
        Func<NpgsqlCommand, CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        bind(command.Parameters);
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        return await run(command, cancellationToken).ConfigureAwait(false);
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
