using Commerce.Bench.Harness;
using Commerce.Grains.Inventory;
using Commerce.Testing;
using Npgsql;

namespace Commerce.Bench.Inventory;

/// <summary>
/// <c>grain</c>: the product's <see cref="ISkuInventoryGrain"/>, one per SKU, in a product silo process
/// (Release build), called from this process through an Orleans cluster client over loopback TCP. Each
/// reservation is committed (state and its ledger row, which carries the hold, in one statement; commits
/// shared by concurrent reservations through group commit) before its answer.
/// </summary>
internal sealed class GrainApproach : IReservationApproach, IGrainApproach
{
    private const string Warehouse = "main";
    private readonly string _connectionString;
    private readonly IReadOnlyDictionary<string, string>? _siloSettings;
    private readonly TimeSpan _holdFor = TimeSpan.FromHours(1);
    private SiloWithClient? _silo;

    /// <param name="siloSettings">Configuration for the silo process beyond what every benchmark silo gets.</param>
    /// <param name="name">The approach's name in the results, for a variant of the silo's configuration.</param>
    public GrainApproach(string connectionString, IReadOnlyDictionary<string, string>? siloSettings = null, string name = "grain")
    {
        _connectionString = connectionString;
        _siloSettings = siloSettings;
        Name = name;
    }

    public string Name { get; }

    public bool Durable => true;

    public SiloProcess Silo => (_silo ?? throw new InvalidOperationException("Not prepared.")).Silo;

    public int SiloProcessId => Silo.ProcessId;

    private IGrainFactory Grains => (_silo ?? throw new InvalidOperationException("Not prepared.")).Grains;

    public async Task PrepareAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        _silo = await SiloWithClient.StartAsync(_connectionString, "bench-inventory", _siloSettings);
        Report.Progress($"  product silo process: pid {_silo.Silo.ProcessId}, log {_silo.Silo.LogPath}");
        await BenchDatabase.AddToCatalogAsync(_connectionString, skus);
        await Parallel.ForEachAsync(skus, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (sku, _) =>
        {
            var result = await Grains.GetGrain<ISkuInventoryGrain>(sku).Receive(new ReceiveStock(Warehouse, stockPerSku, "bench", OperationId: "initial-stock"));
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"Receiving stock for {sku} failed: {result.Message}");
            }
        });
    }

    public async Task<bool> ReserveAsync(string sku, string reservationId)
    {
        var result = await Grains.GetGrain<ISkuInventoryGrain>(sku).Reserve(new ReserveStock(reservationId, 1, _holdFor, Actor: "bench"));
        return result.Succeeded;
    }

    public Task<long> StoredVersionsAsync() =>
        BenchDatabase.ScalarAsync(_connectionString, "SELECT sum(version) FROM grain_state WHERE grain_type = 'SkuInventory'");

    /// <summary>
    /// From PostgreSQL, not from the grain: the ledger rows (grain_journal) count the reservations, and
    /// each SKU's stored state must agree with its ledger (reserved units = Reserved rows = distinct ids).
    /// </summary>
    public async Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        await using var database = NpgsqlDataSource.Create(_connectionString);
        await using var command = database.CreateCommand("""
            SELECT s.grain_key,
                   coalesce(j.reserved_entries, 0), coalesce(j.reservation_ids, 0),
                   (s.payload->'warehouses'->'main'->>'reserved')::bigint,
                   (s.payload->'warehouses'->'main'->>'onHand')::bigint
            FROM grain_state s
            LEFT JOIN (SELECT grain_key,
                              count(*) AS reserved_entries,
                              count(DISTINCT payload->>'reservationId') AS reservation_ids
                       FROM grain_journal
                       WHERE grain_type = 'SkuInventory' AND state_name = 'inventory' AND kind = 'ledger' AND payload->>'kind' = 'Reserved'
                       GROUP BY grain_key) j ON j.grain_key = s.grain_key
            WHERE s.grain_type = 'SkuInventory' AND s.state_name = 'inventory'
            """);
        command.CommandTimeout = 300;
        long reserved = 0, oversold = 0, documents = 0;
        string? problem = null;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                documents++;
                var sku = reader.GetString(0);
                var entries = reader.GetInt64(1);
                var ids = reader.GetInt64(2);
                var stateReserved = reader.IsDBNull(3) ? -1 : reader.GetInt64(3);
                var onHand = reader.IsDBNull(4) ? -1 : reader.GetInt64(4);
                reserved += entries;
                oversold += Math.Max(0, entries - stockPerSku);
                if (ids != entries || stateReserved != entries || onHand != stockPerSku)
                {
                    problem ??= $"{sku}: {entries} Reserved ledger rows, {ids} distinct reservation ids, state says reserved {stateReserved} of on hand {onHand}";
                }
            }
        }
        if (documents != skus.Count)
        {
            problem ??= $"{documents} SKU state documents stored for {skus.Count} SKUs";
        }
        // What every commit rewrites: the whole state document.
        await using var size = database.CreateCommand(
            "SELECT coalesce(max(octet_length(payload::text)), 0), coalesce(max(pg_column_size(payload)), 0) FROM grain_state WHERE grain_type = 'SkuInventory'");
        await using var sizes = await size.ExecuteReaderAsync();
        await sizes.ReadAsync();
        Report.Progress($"  stored state: {documents:N0} SKU document(s), the largest {sizes.GetInt32(0):N0} bytes of JSON ({sizes.GetInt32(1):N0} bytes stored), rewritten by every commit of its SKU");
        // The first hold a SKU activation places registers its expiry backstop reminder (a row in Orleans'
        // reminder table), and that reservation's answer waits for the registration.
        var reminders = await BenchDatabase.ScalarAsync(_connectionString, "SELECT count(*) FROM orleansreminderstable");
        Report.Progress($"  reminders registered: {reminders:N0}");
        return new Audit(reserved, oversold, problem);
    }

    public ValueTask DisposeAsync() => _silo?.DisposeAsync() ?? ValueTask.CompletedTask;
}
