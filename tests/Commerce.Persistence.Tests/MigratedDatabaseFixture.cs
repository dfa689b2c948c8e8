using Commerce.Testing.Postgres;
using Npgsql;

namespace Commerce.Persistence.Tests;

/// <summary>A fresh database per test class with the runtime's migrations applied.</summary>
public sealed class MigratedDatabaseFixture : PostgresDatabaseFixture
{
    protected override Task InitializeDatabaseAsync(NpgsqlDataSource dataSource)
        => PostgresMigrator.MigrateAsync(dataSource, typeof(GrainStateStore).Assembly, PersistenceServiceCollectionExtensions.MigrationComponent, CancellationToken.None);
}
