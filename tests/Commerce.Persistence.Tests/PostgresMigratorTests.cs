using Commerce.Testing.Postgres;
using Npgsql;

namespace Commerce.Persistence.Tests;

/// <summary>Every test here starts from its own empty database, so migrations always run from scratch.</summary>
public sealed class PostgresMigratorTests
{
    static CancellationToken Ct => CancellationToken.None;

    /// <summary>What applying the grain-state migrations records, derived from the embedded files so new ones need no edit here.</summary>
    static readonly string[] GrainsApplied =
        [.. PostgresMigrator.LoadEmbeddedMigrations(typeof(PostgresMigrator).Assembly).Select(m => $"{PersistenceServiceCollectionExtensions.MigrationComponent}/{m.Version}/{m.Name}")];

    [Fact]
    public void The_grain_state_schema_embeds_its_migrations_in_order()
    {
        var migrations = PostgresMigrator.LoadEmbeddedMigrations(typeof(PostgresMigrator).Assembly);

        Assert.Collection(
            migrations,
            m => { Assert.Equal(1, m.Version); Assert.Equal("grain_state", m.Name); Assert.Contains("CREATE TABLE IF NOT EXISTS grain_state", m.Sql); },
            m => { Assert.Equal(2, m.Version); Assert.Equal("grain_journal", m.Name); Assert.Contains("CREATE TABLE IF NOT EXISTS grain_journal", m.Sql); },
            m => { Assert.Equal(3, m.Version); Assert.Equal("drop_homemade_runtime_tables", m.Name); Assert.Contains("DROP TABLE IF EXISTS partition_leases", m.Sql); });
    }

    [Fact]
    public async Task Migrating_an_empty_database_creates_the_tables_and_records_each_migration()
    {
        await using var db = await PostgresTestDatabase.CreateAsync(Ct);

        await PostgresMigrator.MigrateAsync(db.DataSource, typeof(GrainStateStore).Assembly, PersistenceServiceCollectionExtensions.MigrationComponent, Ct);

        Assert.Equal(GrainsApplied, await AppliedAsync(db.DataSource));
        Assert.True(await TableExistsAsync(db.DataSource, "grain_state"));
        Assert.True(await TableExistsAsync(db.DataSource, "grain_journal"));
        Assert.True(await IndexExistsAsync(db.DataSource, "grain_journal_by_state"));
    }

    [Fact]
    public async Task Migrating_twice_changes_nothing_the_second_time()
    {
        await using var db = await PostgresTestDatabase.CreateAsync(Ct);
        await PostgresMigrator.MigrateAsync(db.DataSource, typeof(GrainStateStore).Assembly, PersistenceServiceCollectionExtensions.MigrationComponent, Ct);
        var firstAppliedAt = await AppliedAtAsync(db.DataSource);

        await PostgresMigrator.MigrateAsync(db.DataSource, typeof(GrainStateStore).Assembly, PersistenceServiceCollectionExtensions.MigrationComponent, Ct);

        Assert.Equal(GrainsApplied, await AppliedAsync(db.DataSource));
        Assert.Equal(firstAppliedAt, await AppliedAtAsync(db.DataSource));
    }

    [Fact]
    public async Task Four_concurrent_starters_apply_each_migration_exactly_once()
    {
        await using var db = await PostgresTestDatabase.CreateAsync(Ct);
        // Separate data sources, like separate silos.
        var sources = new NpgsqlDataSource[4];
        for (var i = 0; i < sources.Length; i++)
        {
            sources[i] = NpgsqlDataSource.Create(db.ConnectionString);
        }
        try
        {
            using var start = new ManualResetEventSlim();
            var tasks = new Task[sources.Length];
            for (var i = 0; i < sources.Length; i++)
            {
                var source = sources[i];
                tasks[i] = Task.Run(async () =>
                {
                    start.Wait(Ct);
                    await PostgresMigrator.MigrateAsync(source, typeof(GrainStateStore).Assembly, PersistenceServiceCollectionExtensions.MigrationComponent, Ct);
                    await PostgresMigrator.MigrateAsync(source, typeof(PostgresMigratorTests).Assembly, "widgets", Ct);
                }, Ct);
            }
            start.Set();
            await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }

        Assert.Equal(
            [.. GrainsApplied, "widgets/1/widgets", "widgets/2/widgets_color"],
            await AppliedAsync(db.DataSource));
        // The data migration ran once: a second run would have hit the primary key.
        Assert.Equal(1L, await ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM widgets"));
    }

    [Fact]
    public async Task Components_number_their_migrations_independently()
    {
        await using var db = await PostgresTestDatabase.CreateAsync(Ct);

        await PostgresMigrator.MigrateAsync(db.DataSource, typeof(GrainStateStore).Assembly, PersistenceServiceCollectionExtensions.MigrationComponent, Ct);
        await PostgresMigrator.MigrateAsync(db.DataSource, typeof(PostgresMigratorTests).Assembly, "widgets", Ct);

        Assert.Equal(
            [.. GrainsApplied, "widgets/1/widgets", "widgets/2/widgets_color"],
            await AppliedAsync(db.DataSource));
        Assert.Equal("blue", await ScalarAsync<string>(db.DataSource, "SELECT color FROM widgets WHERE id = 1"));
    }

    [Fact]
    public async Task Only_new_migrations_run_on_an_already_migrated_database()
    {
        await using var db = await PostgresTestDatabase.CreateAsync(Ct);
        PostgresMigration[] v1 =
        [
            new(1, "create", "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counters VALUES (1, 0);"),
        ];
        await PostgresMigrator.MigrateAsync(db.DataSource, "counters", v1, Ct);

        // Listed out of order on purpose: they are applied by version.
        PostgresMigration[] v2 =
        [
            new(3, "bump_again", "UPDATE counters SET n = n * 10;"),
            .. v1,
            new(2, "bump", "UPDATE counters SET n = n + 1;"),
        ];
        await PostgresMigrator.MigrateAsync(db.DataSource, "counters", v2, Ct);
        await PostgresMigrator.MigrateAsync(db.DataSource, "counters", v2, Ct);

        Assert.Equal(10, await ScalarAsync<int>(db.DataSource, "SELECT n FROM counters WHERE id = 1"));
        Assert.Equal(["counters/1/create", "counters/2/bump", "counters/3/bump_again"], await AppliedAsync(db.DataSource));
    }

    [Fact]
    public async Task A_failing_migration_is_rolled_back_and_not_recorded()
    {
        await using var db = await PostgresTestDatabase.CreateAsync(Ct);
        var first = new PostgresMigration(1, "first", "CREATE TABLE first_table (id int);");
        var broken = new PostgresMigration(2, "second", "CREATE TABLE second_table (id int); SELECT 1 / 0;");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => PostgresMigrator.MigrateAsync(db.DataSource, "broken", [first, broken], Ct));

        Assert.Contains("broken/0002_second", error.Message);
        Assert.IsType<PostgresException>(error.InnerException);
        Assert.Equal(["broken/1/first"], await AppliedAsync(db.DataSource));
        Assert.True(await TableExistsAsync(db.DataSource, "first_table"));
        Assert.False(await TableExistsAsync(db.DataSource, "second_table"));

        var fixedSecond = new PostgresMigration(2, "second", "CREATE TABLE second_table (id int);");
        await PostgresMigrator.MigrateAsync(db.DataSource, "broken", [first, fixedSecond], Ct);

        Assert.Equal(["broken/1/first", "broken/2/second"], await AppliedAsync(db.DataSource));
        Assert.True(await TableExistsAsync(db.DataSource, "second_table"));
    }

    [Fact]
    public async Task Duplicate_versions_are_rejected_before_anything_runs()
    {
        await using var db = await PostgresTestDatabase.CreateAsync(Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => PostgresMigrator.MigrateAsync(
            db.DataSource, "dup", [new(1, "a", "CREATE TABLE a (id int);"), new(1, "b", "CREATE TABLE b (id int);")], Ct));

        Assert.False(await TableExistsAsync(db.DataSource, "a"));
    }

    static async Task<List<string>> AppliedAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT component || '/' || version || '/' || name FROM schema_migrations ORDER BY component, version");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var result = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            result.Add(reader.GetString(0));
        }
        return result;
    }

    static async Task<List<DateTime>> AppliedAtAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT applied_at FROM schema_migrations ORDER BY component, version");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var result = new List<DateTime>();
        while (await reader.ReadAsync(Ct))
        {
            result.Add(reader.GetDateTime(0));
        }
        return result;
    }

    static Task<bool> TableExistsAsync(NpgsqlDataSource dataSource, string table)
        => ScalarAsync<bool>(dataSource, $"SELECT to_regclass('public.{table}') IS NOT NULL");

    static Task<bool> IndexExistsAsync(NpgsqlDataSource dataSource, string index)
        => ScalarAsync<bool>(dataSource, $"SELECT to_regclass('public.{index}') IS NOT NULL");

    static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
