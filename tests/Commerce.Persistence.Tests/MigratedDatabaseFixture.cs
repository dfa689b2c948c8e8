using Commerce.Testing.Postgres;
using Npgsql;

namespace Commerce.Runtime.PostgreSql.Tests;

/// <summary>A fresh database per test class with the runtime's migrations applied.</summary>
public sealed class MigratedDatabaseFixture : PostgresDatabaseFixture
{
    protected override Task InitializeDatabaseAsync(NpgsqlDataSource dataSource)
        => PostgresMigrator.MigrateAsync(dataSource, CancellationToken.None);
}
