using Commerce.Catalog.Search;
using Npgsql;

namespace Commerce.Testing;

/// <summary>
/// A search-index writer for tests and benchmarks that records every call it gets as rows of
/// <c>recorded_index_writes</c> in PostgreSQL, stamped with the database's clock when applied: what a
/// consumer delivered survives the process that delivered it, so a test can kill that process and still
/// ask what reached the index, and a benchmark can measure when it did. Like the real index it is
/// idempotent in effect (the newest row of an id is its state); unlike it, it keeps every call, so
/// redeliveries can be counted.
/// </summary>
public sealed class RecordingSearchIndex(NpgsqlDataSource database) : ISearchIndexWriter
{
    public const string ProductKind = "product";
    public const string StockKind = "stock";

    /// <summary>Creates the table (once per database, before any silo that records into it starts).</summary>
    public static async Task CreateTableAsync(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand("""
            CREATE TABLE IF NOT EXISTS recorded_index_writes (
                seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind       text        NOT NULL,
                id         text        NOT NULL,
                available  integer,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """);
        await command.ExecuteNonQueryAsync();
    }

    public Task IndexProductsAsync(IReadOnlyCollection<string> productIds, CancellationToken cancellationToken) =>
        Record(ProductKind, [.. productIds], new int?[productIds.Count], cancellationToken);

    public Task SetStockAsync(IReadOnlyCollection<SkuStock> levels, CancellationToken cancellationToken) =>
        Record(StockKind, [.. levels.Select(l => l.Sku)], [.. levels.Select(l => (int?)l.Available)], cancellationToken);

    private async Task Record(string kind, string[] ids, int?[] available, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "INSERT INTO recorded_index_writes (kind, id, available) SELECT $1, i, a FROM unnest($2::text[], $3::integer[]) AS t(i, a)");
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        command.Parameters.Add(new NpgsqlParameter { Value = available });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The distinct product ids recorded so far.</summary>
    public static async Task<HashSet<string>> IndexedProductsAsync(NpgsqlDataSource database)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var command = database.CreateCommand("SELECT DISTINCT id FROM recorded_index_writes WHERE kind = 'product'");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>Every stock level recorded for a SKU, oldest first.</summary>
    public static async Task<List<int>> StockLevelsAsync(NpgsqlDataSource database, string sku)
    {
        var levels = new List<int>();
        await using var command = database.CreateCommand("SELECT available FROM recorded_index_writes WHERE kind = 'stock' AND id = $1 ORDER BY seq");
        command.Parameters.Add(new NpgsqlParameter { Value = sku });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            levels.Add(reader.GetInt32(0));
        }
        return levels;
    }
}
