using Npgsql;

namespace Commerce.Gateway.Dashboard;

/// <summary>
/// SKU figures read from what the inventory grains commit, with plain SQL, so the grains pay nothing:
/// reservations per SKU from the ledger rows appended since the last read (a range scan of the
/// journal's primary key), and low stock from the stored SKU states. A ledger row whose transaction
/// commits after a read has moved past its sequence number is not counted: a dashboard may undercount
/// by a few, never stall a write.
/// </summary>
public sealed class InventoryActivity(NpgsqlDataSource dataSource)
{
    // The inventory grain's storage names (SkuInventoryGrain: grain type, state name, ledger kind) and its JSON (camelCase).
    private const string LatestSequenceSql = "SELECT coalesce(max(sequence), 0) FROM grain_journal";

    private const string ReservationsSql = """
        SELECT grain_key, count(*) FROM grain_journal
        WHERE sequence > $1 AND sequence <= $2
          AND grain_type = 'SkuInventory' AND state_name = 'inventory' AND kind = 'ledger'
          AND payload->>'kind' IN ('Reserved', 'ReservedFromAllocation')
        GROUP BY grain_key ORDER BY count(*) DESC, grain_key LIMIT $3
        """;

    private const string LowStockSql = """
        SELECT grain_key, available, threshold FROM (
            SELECT grain_key,
                   coalesce((payload->>'lowStockThreshold')::int, 0) AS threshold,
                   (SELECT coalesce(sum((w.value->>'onHand')::int - (w.value->>'reserved')::int), 0)::int
                      FROM jsonb_each(payload->'warehouses') w) AS available
            FROM grain_state
            WHERE grain_type = 'SkuInventory' AND state_name = 'inventory' AND (payload->>'known')::boolean
        ) skus
        WHERE available <= threshold
        ORDER BY available, grain_key LIMIT $1
        """;

    private long? _readThrough;
    private DateTimeOffset _readAt;

    /// <summary>The SKUs with the most reservations per second since the previous call (none on the first).</summary>
    public async Task<IReadOnlyList<HotSkuView>> HottestAsync(int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var latest = new NpgsqlCommand(LatestSequenceSql, connection);
        var through = (long)(await latest.ExecuteScalarAsync(cancellationToken))!;
        var (after, since) = (_readThrough, _readAt);
        (_readThrough, _readAt) = (through, now);
        if (after is not { } from || now <= since)
        {
            return [];
        }
        await using var count = new NpgsqlCommand(ReservationsSql, connection);
        count.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from });
        count.Parameters.Add(new NpgsqlParameter<long> { TypedValue = through });
        count.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var seconds = (now - since).TotalSeconds;
        var hot = new List<HotSkuView>();
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            hot.Add(new HotSkuView(reader.GetString(0), reader.GetInt64(1) / seconds));
        }
        return hot;
    }

    /// <summary>SKUs whose available stock is at or below their low-stock threshold, emptiest first.</summary>
    public async Task<IReadOnlyList<LowStockView>> LowStockAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(LowStockSql);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var low = new List<LowStockView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var available = reader.GetInt32(1);
            low.Add(new LowStockView(reader.GetString(0), available, reader.GetInt32(2), available <= 0 ? "OutOfStock" : "Low"));
        }
        return low;
    }
}
