using System.Globalization;
using Npgsql;

namespace Commerce.Testing.Postgres;

/// <summary>
/// A freshly created, empty PostgreSQL database on the test server named by <see cref="EnvironmentVariable"/>,
/// dropped again on dispose. Create one per test class (see <see cref="PostgresDatabaseFixture"/>) or per test.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    /// <summary>Holds a connection string to a server on which the tests may create and drop databases.</summary>
    public const string EnvironmentVariable = "COMMERCE_TEST_POSTGRES";

    readonly string _adminConnectionString;
    int _disposed;

    PostgresTestDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <summary>The database's name (random, prefixed <c>commerce_test_</c>).</summary>
    public string Name { get; }

    /// <summary>A connection string to this database.</summary>
    public string ConnectionString { get; }

    /// <summary>A data source for this database, disposed with it.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>
    /// The server connection string from <see cref="EnvironmentVariable"/>; throws with instructions when it is
    /// missing, so that database tests fail loudly instead of silently passing or skipping.
    /// </summary>
    public static string GetServerConnectionString()
    {
        var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. These tests need a real PostgreSQL server: run them through deploy/test, " +
                $"which starts a throwaway server and sets {EnvironmentVariable}, or set it yourself to a connection string " +
                "(e.g. 'Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres') of a server where the tests may create and drop databases.");
        }
        return value;
    }

    /// <summary>Creates a new empty UTF-8 database with a random name.</summary>
    public static async Task<PostgresTestDatabase> CreateAsync(CancellationToken cancellationToken = default)
    {
        var server = GetServerConnectionString();
        var admin = new NpgsqlConnectionStringBuilder(server) { Pooling = false };
        var name = "commerce_test_" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);

        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            // template0 with an explicit encoding and C locale works whatever the server's defaults are.
            await using var command = new NpgsqlCommand(
                $"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var database = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new PostgresTestDatabase(admin.ConnectionString, name, database.ConnectionString);
    }

    /// <summary>Closes this database's connections and drops it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await DataSource.DisposeAsync();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
