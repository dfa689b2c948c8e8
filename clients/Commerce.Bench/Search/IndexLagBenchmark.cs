using System.Globalization;
using Commerce.Bench.Harness;
using Commerce.Grains.CatalogChanges;
using Commerce.Grains.Inventory;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Bench.Search;

/// <summary>
/// <c>deploy/bench index-lag</c>: how far the search index trails the catalog on the catalog-change stream, with
/// the product's stream settings. A product silo process consuming into a <see cref="RecordingSearchIndex"/>
/// (which stamps each write with PostgreSQL's clock, the same machine clock as this process's); a cluster
/// client publishes product changes one at a time (as a gateway does after a catalog write) and changes stock
/// through the SKU inventory grain. Lag: from the acknowledged publish, or the committed stock change, to the
/// writer having applied it. Stock changes include the SKU's coalescing interval (Commerce:Inventory:StockPublishInterval).
/// </summary>
internal static class IndexLagBenchmark
{
    private const int Changes = 200;

    /// <summary>Changes are spaced so each is measured on its own, not as the tail of a burst.</summary>
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(25);

    public static async Task RunAsync(BenchEnvironment environment)
    {
        var postgres = environment.RequirePostgres();
        await BenchDatabase.ResetAsync(postgres);
        await using var database = NpgsqlDataSource.Create(postgres);
        await using var silo = await SiloProcess.StartAsync(postgres, "bench-index", new SiloProcessOptions { Program = new SiloProgram(Repository.IndexedSiloAssembly, []) });
        await RecordingSearchIndex.CreateTableAsync(database);
        await using var client = await BenchClient.ConnectAsync(postgres);
        var feed = client.Client.ServiceProvider.GetRequiredService<ICatalogChangeFeed>();
        var run = Guid.NewGuid().ToString("N")[..8];

        Report.Progress($"  {Changes} product changes, {Spacing.TotalMilliseconds} ms apart");
        var products = new List<(string Id, DateTime Acknowledged)>();
        for (var i = 0; i < Changes; i++)
        {
            var id = $"lag-{run}-p{i:D4}";
            await feed.ProductsChangedAsync([id]);
            products.Add((id, DateTime.UtcNow));
            await Task.Delay(Spacing);
        }

        Report.Progress($"  {Changes} stock changes (one SKU each), {Spacing.TotalMilliseconds} ms apart");
        var skus = Enumerable.Range(0, Changes).Select(i => $"lag-{run}-s{i:D4}").ToList();
        await BenchDatabase.AddToCatalogAsync(postgres, skus);
        var stock = new List<(string Sku, DateTime Committed)>();
        foreach (var sku in skus)
        {
            var received = await client.Grains.GetGrain<ISkuInventoryGrain>(sku).Receive(new ReceiveStock("main", 10, "bench"));
            if (!received.Succeeded)
            {
                throw new InvalidOperationException($"Receiving stock for {sku} failed: {received.Message}");
            }
            stock.Add((sku, DateTime.UtcNow));
            await Task.Delay(Spacing);
        }

        var productLag = await LagsAsync(database, RecordingSearchIndex.ProductKind, products);
        var stockLag = await LagsAsync(database, RecordingSearchIndex.StockKind, stock);
        foreach (var (kind, lags) in new[] { ("product", productLag), ("stock", stockLag) })
        {
            var result = new IndexLagResult(kind, lags.Count, Percentile(lags, 0.50), Percentile(lags, 0.99), lags.Max());
            Report.Line(result);
            Report.Progress(string.Create(CultureInfo.InvariantCulture,
                $"  {kind} change → index: p50 {result.P50Ms:F0} ms, p99 {result.P99Ms:F0} ms, max {result.MaxMs:F0} ms over {result.Changes}"));
        }
    }

    /// <summary>Waits (bounded) until every change was applied, then the lag of each: its first write minus its acknowledgement.</summary>
    private static async Task<List<double>> LagsAsync(NpgsqlDataSource database, string kind, List<(string Id, DateTime At)> changes)
    {
        var applied = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (applied.Count < changes.Count)
        {
            if (DateTime.UtcNow > deadline)
            {
                Report.Fail($"{changes.Count - applied.Count} of {changes.Count} {kind} changes never reached the index within 60 s");
                break;
            }
            applied.Clear();
            await using var command = database.CreateCommand("SELECT id, min(applied_at) FROM recorded_index_writes WHERE kind = $1 AND id = ANY($2) GROUP BY id");
            command.Parameters.Add(new NpgsqlParameter { Value = kind });
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Id).ToArray() });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                applied[reader.GetString(0)] = reader.GetDateTime(1);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        return [.. changes.Where(c => applied.ContainsKey(c.Id)).Select(c => Math.Max(0, (applied[c.Id] - c.At).TotalMilliseconds)).Order()];
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private sealed record IndexLagResult(string Change, int Changes, double P50Ms, double P99Ms, double MaxMs)
    {
        public string Benchmark => "index-lag";
    }
}
