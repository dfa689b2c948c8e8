using Commerce.Catalog;
using Commerce.Grains;
using Npgsql;

namespace Commerce.Bench.Harness;

/// <summary>The benchmark's PostgreSQL database (COMMERCE_BENCH_POSTGRES), which it may drop and re-create at will.</summary>
public static class BenchDatabase
{
    /// <summary>Empties the benchmark database (a fresh start per approach), keeping nothing from earlier runs.</summary>
    public static async Task ResetAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var database = builder.Database!;
        builder.Database = "postgres";
        builder.Pooling = false;
        await using var admin = new NpgsqlConnection(builder.ConnectionString);
        await admin.OpenAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin))
        {
            await drop.ExecuteNonQueryAsync();
        }
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin))
        {
            await create.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// Puts each of <paramref name="skus"/> in the catalog under a product of its own, as an operator does before
    /// receiving stock: inventory exists only for SKUs in the catalog. Call it once a product silo has migrated the tables.
    /// </summary>
    public static async Task AddToCatalogAsync(string connectionString, IReadOnlyList<string> skus)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var catalog = new CatalogStore(dataSource);
        await Parallel.ForEachAsync(skus, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (sku, cancellationToken) =>
        {
            await catalog.UpsertProduct(new ProductDraft("p-" + sku, "Bench product " + sku, "", null, true), cancellationToken);
            await catalog.UpsertSku(new SkuDraft(sku, "p-" + sku, "Bench item " + sku, new Dictionary<string, string>(), new Money(10m, "EUR"), true, null), "bench", cancellationToken);
        });
    }

    /// <summary>One scalar of a query on the benchmark database (null as 0).</summary>
    public static async Task<long> ScalarAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return await command.ExecuteScalarAsync() is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
