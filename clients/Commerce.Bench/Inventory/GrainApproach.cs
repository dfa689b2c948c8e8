using Commerce.Bench.Harness;
using Commerce.Grains;
using Commerce.Grains.Inventory;
using Commerce.Runtime;
using Commerce.Runtime.Testing;
using Npgsql;

namespace Commerce.Bench.Inventory;

/// <summary>
/// <c>grain</c>: one <see cref="ISkuInventoryGrain"/> per SKU in a separate silo process (Release
/// build), called from this process through the cluster client over loopback TCP. Each reservation
/// is committed (state and ledger row, one transaction, shared by concurrent reservations through
/// group commit) before its answer.
/// </summary>
internal sealed class GrainApproach : IReservationApproach
{
    private const string Warehouse = "main";
    private readonly string _connectionString;
    private readonly IReadOnlyDictionary<string, string>? _siloSettings;
    private SiloWithClient? _silo;
    private readonly TimeSpan _holdFor = TimeSpan.FromHours(1);

    /// <param name="siloSettings">Configuration for the silo process beyond what every benchmark silo gets.</param>
    public GrainApproach(string connectionString, IReadOnlyDictionary<string, string>? siloSettings = null)
    {
        _connectionString = connectionString;
        _siloSettings = siloSettings;
    }

    public string Name => "grain";

    public bool Durable => true;

    /// <summary>The silo process, for its telemetry endpoint.</summary>
    public SiloProcess Silo => (_silo ?? throw new InvalidOperationException("Not prepared.")).Silo;

    private IGrainFactory Grains => (_silo ?? throw new InvalidOperationException("Not prepared.")).Grains;

    public async Task PrepareAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        _silo = await SiloWithClient.StartAsync(_connectionString, "bench-inventory", [], CommerceGrains.Assembly, _siloSettings);
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

    /// <summary>
    /// From PostgreSQL, not from the grain: the ledger rows (grain_journal) count the reservations,
    /// and each SKU's stored state must agree with its ledger.
    /// </summary>
    public async Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        await using var database = NpgsqlDataSource.Create(_connectionString);
        await using var command = database.CreateCommand("""
            SELECT j.grain_key,
                   count(*) FILTER (WHERE j.payload->>'kind' = 'Reserved') AS reserved_entries,
                   count(DISTINCT j.payload->>'reservationId') FILTER (WHERE j.payload->>'kind' = 'Reserved') AS reservation_ids,
                   (SELECT (s.payload->'warehouses'->'main'->>'reserved')::bigint FROM grain_state s
                     WHERE s.grain_type = j.grain_type AND s.grain_key = j.grain_key AND s.state_name = j.state_name) AS state_reserved,
                   (SELECT (s.payload->'warehouses'->'main'->>'onHand')::bigint FROM grain_state s
                     WHERE s.grain_type = j.grain_type AND s.grain_key = j.grain_key AND s.state_name = j.state_name) AS state_on_hand
            FROM grain_journal j
            WHERE j.grain_type = 'SkuInventory' AND j.kind = 'ledger'
            GROUP BY j.grain_type, j.grain_key, j.state_name
            """);
        command.CommandTimeout = 300;
        long reserved = 0, oversold = 0;
        string? problem = null;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
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
        await reader.DisposeAsync();
        // What every group commit rewrites: the whole state document, holds included.
        await using var size = database.CreateCommand(
            "SELECT count(*), coalesce(max(octet_length(payload::text)), 0), coalesce(max(pg_column_size(payload)), 0) FROM grain_state WHERE grain_type = 'SkuInventory'");
        await using var sizes = await size.ExecuteReaderAsync();
        await sizes.ReadAsync();
        Report.Progress($"  stored state: {sizes.GetInt64(0):N0} SKU document(s), the largest {sizes.GetInt32(1):N0} bytes of JSON ({sizes.GetInt32(2):N0} bytes stored): every commit of that SKU serializes and rewrites all of it");
        return new Audit(reserved, oversold, problem);
    }

    public ValueTask DisposeAsync() => _silo?.DisposeAsync() ?? ValueTask.CompletedTask;
}
