using Npgsql;

namespace Commerce.Gateway.Dashboard;

/// <summary>
/// SKU figures read from what the inventory grains commit, with plain SQL, so the grains pay nothing:
/// reservations per SKU from the ledger entries that placed holds, among a bounded sample of the
/// journal rows appended since the last read (a range scan of the journal's primary key: on a hot
/// SKU that is tens of thousands of rows a second, and PostgreSQL is what the grains' commits wait
/// on), and low stock from the stored SKU states. A ledger row whose transaction
/// commits after a read has moved past its sequence number is not counted: a dashboard may undercount
/// by a few, never stall a write.
/// </summary>
public sealed class InventoryActivity(NpgsqlDataSource dataSource)
{
    // The inventory grain's storage names (SkuInventoryGrain: grain type, state name, ledger kind) and its JSON (camelCase):
    // an entry with a hold quantity placed a hold (a reservation, or a flash-sale purchase out of its allocation).
    private const string LatestSequenceSql = "SELECT coalesce(max(sequence), 0) FROM grain_journal";

    private const string ReservationsSql = """
        SELECT grain_key, count(*) FROM grain_journal
        WHERE sequence > $1 AND sequence <= $2
          AND grain_type = 'SkuInventory' AND state_name = 'inventory' AND kind = 'ledger' AND payload->>'holdQuantity' IS NOT NULL
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

    /// <summary>
    /// At most this many of the newest journal rows are read each time; when more were appended, the
    /// counts are scaled up. A hot SKU appends tens of thousands of rows a second, and reading them
    /// all would take PostgreSQL time from the very commits the SKU waits on; a sample this size
    /// still ranks the hottest SKUs right.
    /// </summary>
    private const long SampleRows = 4_000;

    /// <summary>Reservations per SKU are averaged over this much time, so the list does not flicker from one read to the next.</summary>
    public static readonly TimeSpan HotWindow = TimeSpan.FromSeconds(10);

    /// <summary>Reservations per SKU counted in each read's interval (From, To], oldest first.</summary>
    private readonly Queue<(DateTimeOffset From, DateTimeOffset To, Dictionary<string, long> Reservations)> _recent = new();
    private long? _readThrough;
    private DateTimeOffset _readAt;

    /// <summary>The SKUs with the most reservations per second over the last <see cref="HotWindow"/> (none on the first call).</summary>
    public async Task<IReadOnlyList<HotSkuView>> HottestAsync(int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var latest = new NpgsqlCommand(LatestSequenceSql, connection);
        var through = (long)(await latest.ExecuteScalarAsync(cancellationToken))!;
        var after = _readThrough;
        if (after is null)
        {
            (_readThrough, _readAt) = (through, now);
            return [];
        }
        var from = Math.Max(after.Value, through - SampleRows);
        var scale = from == after.Value ? 1.0 : (double)(through - after.Value) / (through - from);
        await using var count = new NpgsqlCommand(ReservationsSql, connection);
        count.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from });
        count.Parameters.Add(new NpgsqlParameter<long> { TypedValue = through });
        count.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var reservations = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await count.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                reservations[reader.GetString(0)] = (long)Math.Round(reader.GetInt64(1) * scale);
            }
        }
        _recent.Enqueue((_readAt, now, reservations));
        (_readThrough, _readAt) = (through, now);
        while (now - _recent.Peek().To > HotWindow)
        {
            _recent.Dequeue();
        }
        var seconds = Math.Max((now - _recent.Peek().From).TotalSeconds, 0.001);
        return [.. _recent.SelectMany(r => r.Reservations)
            .GroupBy(r => r.Key, StringComparer.Ordinal)
            .Select(g => new HotSkuView(g.Key, g.Sum(r => r.Value) / seconds))
            .OrderByDescending(h => h.ReservationsPerSecond).ThenBy(h => h.Sku, StringComparer.Ordinal)
            .Take(limit)];
    }

    /// <summary>Sampling paused: the next read starts afresh instead of scanning everything written meanwhile.</summary>
    public void Forget()
    {
        _recent.Clear();
        _readThrough = null;
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
