using System.Collections.Concurrent;
using Commerce.Catalog;
using Commerce.Grains;
using Commerce.Grains.Inventory;
using Npgsql;

namespace Commerce.Cluster.Tests;

/// <summary>SKUs with the units received for each, set up through the SKU grains like an operator would.</summary>
internal sealed class StockPlan
{
    public const string Warehouse = "main";

    public StockPlan(string prefix, int skus, int unitsEach, int hotUnits)
    {
        Small = [.. Enumerable.Range(0, skus).Select(i => $"{prefix}-{i}")];
        Hot = $"{prefix}-hot";
        Units = Small.ToDictionary(s => s, _ => unitsEach);
        Units[Hot] = hotUnits;
    }

    public IReadOnlyList<string> Small { get; }

    public string Hot { get; }

    public Dictionary<string, int> Units { get; }

    /// <summary>
    /// Puts every SKU in the catalog (inventory exists only for catalog SKUs; the silos migrated its tables), then receives
    /// its units (idempotent by operation id, so a receipt that failed is sent again safely).
    /// </summary>
    public async Task ReceiveAsync(IGrainFactory grains, NpgsqlDataSource database)
    {
        var catalog = new CatalogStore(database);
        await Parallel.ForEachAsync(Units, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (sku, _) =>
        {
            await catalog.UpsertProduct(new ProductDraft("p-" + sku.Key, "Product " + sku.Key, "", null, true));
            await catalog.UpsertSku(new SkuDraft(sku.Key, "p-" + sku.Key, "Item " + sku.Key, new Dictionary<string, string>(), new Money(10m, "EUR"), true, null), "test:inventory-audit");
            var result = await Commerce.Testing.Eventually.Answered(() =>
                grains.GetGrain<ISkuInventoryGrain>(sku.Key).Receive(new ReceiveStock(Warehouse, sku.Value, "test", "cluster test stock", OperationId: $"receive-{sku.Key}")));
            Assert.Equal(StockChangeError.None, result.Error);
        });
    }
}

/// <summary>
/// Reads the SKUs' books straight from PostgreSQL — <c>grain_state</c> and the ledger rows in
/// <c>grain_journal</c> — and holds them against what callers were told: every acknowledged reservation
/// has exactly one Reserved ledger row, no reservation is there twice or without an acknowledgement,
/// the stored counts are the acknowledged ones, the ledger is one unbroken chain of counts and versions,
/// and no SKU is oversold.
/// </summary>
internal static class InventoryAudit
{
    private sealed record Row(long Sequence, long Version, string Kind, string? Warehouse, int OnHandBefore, int OnHandAfter, int ReservedBefore, int ReservedAfter, string? ReservationId);

    public static Task<string> VerifyAsync(NpgsqlDataSource database, StockPlan plan, ReservationLoad load) =>
        VerifyAsync(database, plan, load.Acknowledged, load.Refused);

    public static async Task<string> VerifyAsync(NpgsqlDataSource database, StockPlan plan,
        ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> acknowledged, IReadOnlyDictionary<string, int>? refused = null)
    {
        var ledger = new Dictionary<string, List<Row>>();
        await using (var command = database.CreateCommand(
            "SELECT grain_key, sequence, version, payload->>'kind', payload->>'warehouseId', (payload->>'onHandBefore')::int, (payload->>'onHandAfter')::int, " +
            "(payload->>'reservedBefore')::int, (payload->>'reservedAfter')::int, payload->>'reservationId' " +
            "FROM grain_journal WHERE grain_type = 'SkuInventory' AND state_name = 'inventory' AND kind = 'ledger' ORDER BY sequence"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var sku = reader.GetString(0);
                if (!ledger.TryGetValue(sku, out var rows))
                {
                    ledger[sku] = rows = [];
                }
                rows.Add(new Row(reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetString(9)));
            }
        }
        var state = new Dictionary<string, (long Version, int? OnHand, int? Reserved)>();
        await using (var command = database.CreateCommand(
            "SELECT grain_key, version, (payload->'warehouses'->'main'->>'onHand')::int, (payload->'warehouses'->'main'->>'reserved')::int " +
            "FROM grain_state WHERE grain_type = 'SkuInventory' AND state_name = 'inventory'"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                state[reader.GetString(0)] = (reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetInt32(3));
            }
        }

        var problems = new List<string>();
        var reservedRows = 0;
        var acknowledgedCount = 0;
        foreach (var (sku, units) in plan.Units)
        {
            var mine = acknowledged.TryGetValue(sku, out var ids) ? ids.Keys.ToHashSet(StringComparer.Ordinal) : [];
            acknowledgedCount += mine.Count;
            var rows = ledger.GetValueOrDefault(sku) ?? [];
            if (!state.TryGetValue(sku, out var stored))
            {
                problems.Add($"{sku}: no grain_state row");
                continue;
            }
            if (stored.OnHand != units || stored.Reserved != mine.Count)
            {
                problems.Add($"{sku}: grain_state says {stored.OnHand} on hand and {stored.Reserved} reserved; {units} were received and {mine.Count} reservations acknowledged");
            }
            if (stored.Reserved > stored.OnHand)
            {
                problems.Add($"{sku}: oversold, {stored.Reserved} reserved of {stored.OnHand}");
            }

            var reserved = rows.Where(r => r.Kind == nameof(StockChangeKind.Reserved)).ToList();
            reservedRows += reserved.Count;
            foreach (var twice in reserved.GroupBy(r => r.ReservationId).Where(g => g.Count() > 1))
            {
                problems.Add($"{sku}: reservation {twice.Key} has {twice.Count()} Reserved ledger rows (sequences {string.Join(", ", twice.Select(r => r.Sequence))})");
            }
            var inLedger = reserved.Select(r => r.ReservationId ?? "").ToHashSet(StringComparer.Ordinal);
            foreach (var lost in mine.Where(id => !inLedger.Contains(id)).Take(5))
            {
                problems.Add($"{sku}: acknowledged reservation {lost} has no Reserved ledger row (lost)");
            }
            foreach (var phantom in inLedger.Where(id => !mine.Contains(id)).Take(5))
            {
                problems.Add($"{sku}: Reserved ledger row for {phantom}, which no caller was told succeeded");
            }
            foreach (var other in rows.Where(r => r.Kind is not (nameof(StockChangeKind.Received) or nameof(StockChangeKind.Reserved))).Take(3))
            {
                problems.Add($"{sku}: unexpected {other.Kind} ledger row at sequence {other.Sequence}");
            }

            // One unbroken chain: each row starts from the counts the previous one ended with, and the versions
            // that wrote them never go back (a refused stale write leaves no row at all).
            var (onHand, held, version) = (0, 0, 0L);
            foreach (var row in rows)
            {
                if (row.Warehouse is not null && (row.OnHandBefore != onHand || row.ReservedBefore != held))
                {
                    problems.Add($"{sku}: ledger row {row.Sequence} ({row.Kind}) starts from {row.OnHandBefore}/{row.ReservedBefore}, the previous row ended at {onHand}/{held}");
                    break;
                }
                if (row.Version < version)
                {
                    problems.Add($"{sku}: ledger row {row.Sequence} was written by version {row.Version}, after a row of version {version}");
                    break;
                }
                if (row.Warehouse is not null)
                {
                    (onHand, held) = (row.OnHandAfter, row.ReservedAfter);
                }
                version = row.Version;
            }
            if ((onHand, held) != (stored.OnHand ?? -1, stored.Reserved ?? -1))
            {
                problems.Add($"{sku}: the ledger ends at {onHand} on hand / {held} reserved, grain_state holds {stored.OnHand}/{stored.Reserved}");
            }
            if (version > stored.Version)
            {
                problems.Add($"{sku}: a ledger row of version {version} is newer than the stored state (version {stored.Version})");
            }
            // Units only run out through acknowledged reservations: a SKU that refused one for lack of stock had sold out.
            if (refused?.GetValueOrDefault(sku) > 0 && mine.Count != units)
            {
                problems.Add($"{sku}: refused {refused[sku]} reservation(s) for lack of stock with only {mine.Count} of {units} units acknowledged");
            }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} problem(s) in the books:\n" + string.Join("\n", problems.Take(30)));
        return $"audit: {plan.Units.Count} SKUs, {acknowledgedCount} acknowledged reservations = {reservedRows} Reserved ledger rows, none twice, none lost, stored counts equal, nothing oversold";
    }
}
