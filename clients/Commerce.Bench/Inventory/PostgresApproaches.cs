using Npgsql;
using NpgsqlTypes;

namespace Commerce.Bench.Inventory;

/// <summary>The seed designs' PostgreSQL inventory: a row per SKU, on the same durable server (fsync, synchronous_commit on).</summary>
internal abstract class PostgresApproach : IReservationApproach
{
    private readonly string _connectionString;

    protected PostgresApproach(string connectionString) => _connectionString = connectionString;

    protected NpgsqlDataSource Database { get; private set; } = null!;

    public abstract string Name { get; }

    public bool Durable => true;

    public async Task PrepareAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        // Prepared statements, as the grain store prepares its own: the comparison is of designs, not of planning.
        // Automatic preparation is safe here (it misbehaves only when a preparing run fails on its data, and no
        // statement of these baselines can); the product prepares explicitly instead.
        Database = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_connectionString)
        {
            MaxPoolSize = 150, MinPoolSize = 0, MaxAutoPrepare = 8, AutoPrepareMinUsages = 2,
        }.ConnectionString);
        await using (var schema = Database.CreateCommand("""
            CREATE TABLE bench_inventory (sku text PRIMARY KEY, on_hand integer NOT NULL, reserved integer NOT NULL DEFAULT 0, stock integer NOT NULL);
            CREATE TABLE bench_reservations (reservation_id text PRIMARY KEY, sku text NOT NULL, quantity integer NOT NULL,
                                             status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL);
            """))
        {
            await schema.ExecuteNonQueryAsync();
        }
        await using var connection = await Database.OpenConnectionAsync();
        await using var import = await connection.BeginBinaryImportAsync("COPY bench_inventory (sku, on_hand, reserved, stock) FROM STDIN (FORMAT BINARY)");
        foreach (var sku in skus)
        {
            await import.StartRowAsync();
            await import.WriteAsync(sku, NpgsqlDbType.Text);
            await import.WriteAsync(stockPerSku, NpgsqlDbType.Integer);
            await import.WriteAsync(0, NpgsqlDbType.Integer);
            await import.WriteAsync(stockPerSku, NpgsqlDbType.Integer);
        }
        await import.CompleteAsync();
    }

    public abstract Task<bool> ReserveAsync(string sku, string reservationId);

    public abstract Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku);

    public async ValueTask DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}

/// <summary>
/// <c>pg-for-update</c> (seed 004): <c>BEGIN; SELECT … FOR UPDATE; UPDATE …; INSERT reservation;
/// COMMIT</c>. Audit: reservation rows per SKU against its stock, and the reserved column against them.
/// </summary>
internal sealed class PgForUpdateApproach(string connectionString) : PostgresApproach(connectionString)
{
    public override string Name => "pg-for-update";

    public override async Task<bool> ReserveAsync(string sku, string reservationId)
    {
        await using var connection = await Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        int available;
        await using (var select = new NpgsqlCommand("SELECT on_hand - reserved FROM bench_inventory WHERE sku = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = sku });
            available = (int)(await select.ExecuteScalarAsync())!;
        }
        if (available < 1)
        {
            await transaction.RollbackAsync();
            return false;
        }
        await using (var update = new NpgsqlCommand("UPDATE bench_inventory SET reserved = reserved + 1 WHERE sku = $1", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = sku });
            await update.ExecuteNonQueryAsync();
        }
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO bench_reservations (reservation_id, sku, quantity, status, expires_at) VALUES ($1, $2, 1, 'active', now() + interval '1 hour')", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = reservationId });
            insert.Parameters.Add(new NpgsqlParameter { Value = sku });
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return true;
    }

    public override async Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        await using var command = Database.CreateCommand("""
            SELECT coalesce(sum(r.n), 0)::bigint,
                   coalesce(sum(greatest(0, coalesce(r.n, 0) - i.stock)), 0)::bigint,
                   count(*) FILTER (WHERE i.reserved <> coalesce(r.n, 0))
            FROM bench_inventory i
            LEFT JOIN (SELECT sku, sum(quantity) AS n FROM bench_reservations GROUP BY sku) r ON r.sku = i.sku
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var mismatched = reader.GetInt64(2);
        return new Audit(reader.GetInt64(0), reader.GetInt64(1), mismatched > 0 ? $"{mismatched} SKU rows whose reserved column differs from their reservation rows" : null);
    }
}

/// <summary>
/// <c>pg-conditional-update</c>: one <c>UPDATE … SET on_hand = on_hand - 1 WHERE sku = $1 AND
/// on_hand &gt;= 1</c> per reservation (an autocommit statement). Audit: units gone from each row.
/// </summary>
internal sealed class PgConditionalUpdateApproach(string connectionString) : PostgresApproach(connectionString)
{
    public override string Name => "pg-conditional-update";

    public override async Task<bool> ReserveAsync(string sku, string reservationId)
    {
        await using var command = Database.CreateCommand("UPDATE bench_inventory SET on_hand = on_hand - 1 WHERE sku = $1 AND on_hand >= 1");
        command.Parameters.Add(new NpgsqlParameter { Value = sku });
        return await command.ExecuteNonQueryAsync() == 1;
    }

    public override async Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        await using var command = Database.CreateCommand(
            "SELECT coalesce(sum(stock - on_hand), 0)::bigint, coalesce(sum(greatest(0, -on_hand)), 0)::bigint FROM bench_inventory");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Audit(reader.GetInt64(0), reader.GetInt64(1));
    }
}
