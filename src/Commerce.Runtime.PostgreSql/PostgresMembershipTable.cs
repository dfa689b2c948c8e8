using System.Text.Json;
using Commerce.Runtime.Cluster;
using Npgsql;

namespace Commerce.Runtime.PostgreSql;

/// <summary>
/// <see cref="IMembershipTable"/> over <c>cluster_silos</c> and <c>cluster_membership_version</c>
/// (migration runtime/0004). A change succeeds only if the version row still holds the version
/// the writer read, and bumps it in the same transaction.
/// </summary>
public sealed class PostgresMembershipTable(NpgsqlDataSource dataSource) : IMembershipTable
{
    const string Columns = "silo_id, address, silo_port, http_port, generation, status, started_at, last_heartbeat, suspicions";

    const string ReadSql =
        "SELECT v.version, s.silo_id, s.address, s.silo_port, s.http_port, s.generation, s.status, s.started_at, s.last_heartbeat, s.suspicions " +
        "FROM cluster_membership_version v LEFT JOIN cluster_silos s ON true ORDER BY s.silo_id";

    const string BumpSql = "UPDATE cluster_membership_version SET version = version + 1 WHERE id = 1 AND version = $1";

    const string UpsertSql =
        "INSERT INTO cluster_silos (" + Columns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) " +
        "ON CONFLICT (silo_id) DO UPDATE SET status = excluded.status, suspicions = excluded.suspicions, last_heartbeat = excluded.last_heartbeat";

    const string HeartbeatSql = "UPDATE cluster_silos SET last_heartbeat = now() WHERE silo_id = $1";

    const string NotifySql = "SELECT pg_notify('" + PostgresPartitionLeaseTable.Channel + "', 'membership')";

    public async Task<MembershipSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReadSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        long version = 0;
        var silos = new List<SiloEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            version = reader.GetInt64(0);
            if (reader.IsDBNull(1))
            {
                continue;
            }
            silos.Add(new SiloEntry(
                SiloId: reader.GetString(1),
                Address: reader.GetString(2),
                SiloPort: reader.GetInt32(3),
                HttpPort: reader.IsDBNull(4) ? null : reader.GetInt32(4),
                Generation: reader.GetInt64(5),
                Status: ParseStatus(reader.GetString(6)),
                StartedAt: reader.GetFieldValue<DateTimeOffset>(7),
                LastHeartbeat: reader.GetFieldValue<DateTimeOffset>(8),
                Suspicions: JsonSerializer.Deserialize<List<Suspicion>>(reader.GetString(9), JsonSerializerOptions.Web) ?? []));
        }
        return new MembershipSnapshot(version, silos);
    }

    public async Task<bool> TryWriteAsync(SiloEntry entry, long expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var bump = new NpgsqlCommand(BumpSql, connection, transaction))
        {
            bump.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedVersion });
            if (await bump.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                return false;
            }
        }
        await using (var upsert = new NpgsqlCommand(UpsertSql, connection, transaction))
        {
            var p = upsert.Parameters;
            p.Add(new NpgsqlParameter<string> { TypedValue = entry.SiloId });
            p.Add(new NpgsqlParameter<string> { TypedValue = entry.Address });
            p.Add(new NpgsqlParameter<int> { TypedValue = entry.SiloPort });
            p.Add(new NpgsqlParameter { Value = entry.HttpPort is { } http ? http : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            p.Add(new NpgsqlParameter<long> { TypedValue = entry.Generation });
            p.Add(new NpgsqlParameter<string> { TypedValue = FormatStatus(entry.Status) });
            p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.StartedAt.ToUniversalTime() });
            p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.LastHeartbeat.ToUniversalTime() });
            p.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(entry.Suspicions, JsonSerializerOptions.Web) });
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var notify = new NpgsqlCommand(NotifySql, connection, transaction))
        {
            await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task HeartbeatAsync(string siloId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(HeartbeatSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = siloId });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    static SiloStatus ParseStatus(string status) => status switch
    {
        "joining" => SiloStatus.Joining,
        "active" => SiloStatus.Active,
        "shutting_down" => SiloStatus.ShuttingDown,
        _ => SiloStatus.Dead,
    };

    static string FormatStatus(SiloStatus status) => status switch
    {
        SiloStatus.Joining => "joining",
        SiloStatus.Active => "active",
        SiloStatus.ShuttingDown => "shutting_down",
        _ => "dead",
    };
}
