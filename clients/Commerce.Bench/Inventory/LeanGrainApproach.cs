using Commerce.Bench.Harness;
using Commerce.Runtime;
using Commerce.Runtime.Testing;
using Npgsql;

namespace Commerce.Bench.Inventory;

/// <summary><c>grain-lean</c>: <see cref="LeanStockGrain"/> in a silo process, through the cluster client (see that class for why).</summary>
internal sealed class LeanGrainApproach(string connectionString) : IReservationApproach
{
    private SiloWithClient? _silo;

    public string Name => "grain-lean";

    public bool Durable => true;

    public SiloProcess Silo => (_silo ?? throw new InvalidOperationException("Not prepared.")).Silo;

    public async Task PrepareAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        _silo = await SiloWithClient.StartAsync(connectionString, "bench-lean", [typeof(LeanStockGrain).Assembly], typeof(LeanStockGrain).Assembly);
        await Parallel.ForEachAsync(skus, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (sku, _) =>
            await _silo.Grains.GetGrain<ILeanStockGrain>(sku).Stock(stockPerSku));
    }

    public Task<bool> ReserveAsync(string sku, string reservationId) => _silo!.Grains.GetGrain<ILeanStockGrain>(sku).Reserve(reservationId);

    public async Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        await using var database = NpgsqlDataSource.Create(connectionString);
        await using var command = database.CreateCommand("""
            SELECT s.grain_key, (s.payload->>'reserved')::bigint,
                   (SELECT count(*) FROM grain_journal j WHERE j.grain_type = s.grain_type AND j.grain_key = s.grain_key AND j.kind = 'reservation')
            FROM grain_state s WHERE s.grain_type = 'LeanStockGrain'
            """);
        command.CommandTimeout = 300;
        long reserved = 0, oversold = 0;
        string? problem = null;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var rows = reader.GetInt64(2);
            reserved += rows;
            oversold += Math.Max(0, rows - stockPerSku);
            if (rows != reader.GetInt64(1))
            {
                problem ??= $"{reader.GetString(0)}: {rows} reservation rows but the state says {reader.GetInt64(1)} reserved";
            }
        }
        return new Audit(reserved, oversold, problem);
    }

    public ValueTask DisposeAsync() => _silo?.DisposeAsync() ?? ValueTask.CompletedTask;
}
