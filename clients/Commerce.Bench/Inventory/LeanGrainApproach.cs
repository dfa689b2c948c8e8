using Commerce.Bench.Harness;
using Commerce.Testing;
using Npgsql;

namespace Commerce.Bench.Inventory;

/// <summary>
/// <c>grain-lean</c> (what-if): <see cref="LeanStockGrain"/> in a bench silo process configured as the
/// product's (<see cref="BenchSiloHost"/>), through the same kind of cluster client over loopback TCP.
/// The same check, journal row per reservation, version check and group commit as <c>grain</c>, and
/// nothing else; the difference between the two is what the product's SKU grain adds.
/// </summary>
internal sealed class LeanGrainApproach(string connectionString) : IReservationApproach, IGrainApproach
{
    private SiloProcess? _silo;
    private BenchClient? _client;

    public string Name => "grain-lean";

    public bool Durable => true;

    public int SiloProcessId => (_silo ?? throw new InvalidOperationException("Not prepared.")).ProcessId;

    public async Task PrepareAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        _silo = await SiloProcess.StartAsync(connectionString, "bench-lean", new SiloProcessOptions
        {
            Program = new SiloProgram(typeof(BenchSiloHost).Assembly.Location, [BenchSiloHost.Command]),
        });
        Report.Progress($"  bench silo process: pid {_silo.ProcessId}, log {_silo.LogPath}");
        _client = await BenchClient.ConnectAsync(connectionString);
        await Parallel.ForEachAsync(skus, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (sku, _) =>
            await _client.Grains.GetGrain<ILeanStockGrain>(sku).Stock(stockPerSku));
    }

    public Task<bool> ReserveAsync(string sku, string reservationId) => _client!.Grains.GetGrain<ILeanStockGrain>(sku).Reserve(reservationId);

    public Task<long> StoredVersionsAsync() =>
        BenchDatabase.ScalarAsync(connectionString, "SELECT sum(version) FROM grain_state WHERE grain_type = 'bench-lean-stock'");

    /// <summary>From PostgreSQL: journal rows per SKU against its stock, and the state's reserved figure against them.</summary>
    public async Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        await using var database = NpgsqlDataSource.Create(connectionString);
        await using var command = database.CreateCommand("""
            SELECT s.grain_key, (s.payload->>'reserved')::bigint, (s.payload->>'onHand')::bigint, coalesce(j.n, 0), coalesce(j.ids, 0)
            FROM grain_state s
            LEFT JOIN (SELECT grain_key, count(*) AS n, count(DISTINCT payload->>'reservationId') AS ids FROM grain_journal
                       WHERE grain_type = 'bench-lean-stock' AND kind = 'reservation' GROUP BY grain_key) j ON j.grain_key = s.grain_key
            WHERE s.grain_type = 'bench-lean-stock'
            """);
        command.CommandTimeout = 300;
        long reserved = 0, oversold = 0, documents = 0;
        string? problem = null;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            documents++;
            var rows = reader.GetInt64(3);
            reserved += rows;
            oversold += Math.Max(0, rows - stockPerSku);
            if (rows != reader.GetInt64(1) || rows != reader.GetInt64(4) || reader.GetInt64(2) != stockPerSku)
            {
                problem ??= $"{reader.GetString(0)}: {rows} reservation rows ({reader.GetInt64(4)} distinct ids) but the state says {reader.GetInt64(1)} reserved of {reader.GetInt64(2)}";
            }
        }
        if (documents != skus.Count)
        {
            problem ??= $"{documents} state documents stored for {skus.Count} SKUs";
        }
        return new Audit(reserved, oversold, problem);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }
}
