using Npgsql;
using Xunit;

namespace Commerce.Testing.Postgres;

/// <summary>
/// xUnit class fixture giving a test class its own fresh database (see <see cref="PostgresTestDatabase"/>),
/// dropped when the class is done. Derive and override <see cref="InitializeDatabaseAsync"/> to run migrations
/// or seed data. When <see cref="PostgresTestDatabase.EnvironmentVariable"/> is missing every test of the class
/// fails with instructions.
/// </summary>
public class PostgresDatabaseFixture : IAsyncLifetime
{
    PostgresTestDatabase? _database;

    public PostgresTestDatabase Database
        => _database ?? throw new InvalidOperationException("The database fixture has not been initialized.");

    public NpgsqlDataSource DataSource => Database.DataSource;

    public string ConnectionString => Database.ConnectionString;

    /// <summary>Runs once the empty database exists, before the first test of the class.</summary>
    protected virtual Task InitializeDatabaseAsync(NpgsqlDataSource dataSource) => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        var database = await PostgresTestDatabase.CreateAsync();
        try
        {
            await InitializeDatabaseAsync(database.DataSource);
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
        _database = database;
    }

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
