using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Commerce.Persistence;

/// <summary>One schema migration of a component: applied once, in <see cref="Version"/> order.</summary>
public sealed record PostgresMigration(int Version, string Name, string Sql);

/// <summary>
/// Applies ordered, idempotent SQL migrations at start-up. Every component (grain state, Orleans' clustering and
/// reminders, catalog, accounts, orders…) owns a migration set; applied migrations are recorded in
/// <c>schema_migrations</c> keyed by (component, version), so components number their migrations
/// independently. Each migration runs in its own transaction holding one database-wide advisory lock, so
/// silos starting at the same time apply each migration exactly once and never see a half-applied one.
/// </summary>
/// <remarks>
/// A component's migrations are embedded resources of its assembly in a <c>Migrations/</c> folder, named
/// <c>NNNN_description.sql</c> (for example <c>0001_grain_state.sql</c>), added to the project with
/// <c>&lt;EmbeddedResource Include="Migrations/*.sql" /&gt;</c>. A migration runs inside a transaction, so it
/// cannot use statements PostgreSQL refuses in one (such as <c>CREATE INDEX CONCURRENTLY</c>). Never edit a
/// migration once it has shipped: add a new one.
/// </remarks>
public static class PostgresMigrator
{
    /// <summary>
    /// The key of the transaction-scoped advisory lock that serializes every migration of every component in
    /// a database (a fixed, arbitrary 64-bit value).
    /// </summary>
    public const long AdvisoryLockKey = 0x436F6D6D_4D696772; // "CommMigr"

    const string MigrationsFolder = "Migrations";

    const string LockSql = "SELECT pg_advisory_xact_lock($1)";

    const string CreateHistorySql = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            component  text        NOT NULL,
            version    integer     NOT NULL,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (component, version)
        )
        """;

    const string IsAppliedSql = "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE component = $1 AND version = $2)";

    const string RecordSql = "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)";

    /// <summary>Applies the migrations embedded in <paramref name="migrationsAssembly"/> under <c>Migrations/</c>, recorded as <paramref name="component"/>.</summary>
    public static Task MigrateAsync(NpgsqlDataSource dataSource, Assembly migrationsAssembly, string component, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(migrationsAssembly);
        return MigrateAsync(dataSource, component, LoadEmbeddedMigrations(migrationsAssembly), ct);
    }

    /// <summary>Applies <paramref name="migrations"/> (in any order; they are sorted by version), recorded as <paramref name="component"/>.</summary>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string component, IEnumerable<PostgresMigration> migrations, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        ArgumentNullException.ThrowIfNull(migrations);

        var ordered = Validate(component, migrations);

        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);

        // Creating the history table is itself serialized: CREATE TABLE IF NOT EXISTS is not safe against a
        // concurrent creator (it can fail on the catalog's unique indexes).
        await using (var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            await LockAsync(connection, transaction, ct).ConfigureAwait(false);
            await using (var create = new NpgsqlCommand(CreateHistorySql, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }

        foreach (var migration in ordered)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await LockAsync(connection, transaction, ct).ConfigureAwait(false);

            // Checked under the lock: another silo may have applied it while we waited.
            bool applied;
            await using (var check = new NpgsqlCommand(IsAppliedSql, connection, transaction))
            {
                check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = component });
                check.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
                applied = (bool)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            if (applied)
            {
                continue; // disposing the transaction rolls back and releases the lock
            }

            try
            {
                await using (var apply = new NpgsqlCommand(migration.Sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
            }
            catch (PostgresException e)
            {
                throw new InvalidOperationException(
                    $"Migration {Describe(component, migration)} failed and was rolled back: {e.MessageText}", e);
            }

            await using (var record = new NpgsqlCommand(RecordSql, connection, transaction))
            {
                record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = component });
                record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
                record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
                await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The migrations embedded in <paramref name="assembly"/> under <c>Migrations/</c>, sorted by version.
    /// Resource files there that are not <c>NNNN_name.sql</c> are rejected rather than silently ignored.
    /// </summary>
    public static IReadOnlyList<PostgresMigration> LoadEmbeddedMigrations(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var migrations = new List<PostgresMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!TryGetMigrationFileName(resource, out var fileName))
            {
                continue;
            }
            if (!TryParseFileName(fileName, out var version, out var name))
            {
                throw new InvalidOperationException(
                    $"Embedded migration '{resource}' in {assembly.GetName().Name} is not named NNNN_description.sql.");
            }
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Embedded resource '{resource}' cannot be opened.");
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            migrations.Add(new PostgresMigration(version, name, reader.ReadToEnd()));
        }
        migrations.Sort(static (a, b) => a.Version.CompareTo(b.Version));
        return migrations;
    }

    static List<PostgresMigration> Validate(string component, IEnumerable<PostgresMigration> migrations)
    {
        var ordered = new List<PostgresMigration>(migrations);
        ordered.Sort(static (a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < ordered.Count; i++)
        {
            var migration = ordered[i] ?? throw new ArgumentException("A migration list cannot contain null.", nameof(migrations));
            if (migration.Version <= 0)
            {
                throw new ArgumentException($"Migration {Describe(component, migration)} has a version below 1.", nameof(migrations));
            }
            if (string.IsNullOrWhiteSpace(migration.Sql))
            {
                throw new ArgumentException($"Migration {Describe(component, migration)} is empty.", nameof(migrations));
            }
            if (i > 0 && ordered[i - 1].Version == migration.Version)
            {
                throw new ArgumentException(
                    $"Component '{component}' has two migrations numbered {migration.Version}: '{ordered[i - 1].Name}' and '{migration.Name}'.",
                    nameof(migrations));
            }
        }
        return ordered;
    }

    static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(LockSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AdvisoryLockKey });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Resource names are "Root.Namespace.Migrations.0001_x.sql" by default (or "Migrations/0001_x.sql" with a
    /// LogicalName); the file name is what follows the last "Migrations" folder segment.
    /// </summary>
    static bool TryGetMigrationFileName(string resource, out string fileName)
    {
        fileName = "";
        if (!resource.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var start = -1;
        for (var i = resource.Length - MigrationsFolder.Length - 1; i >= 0; i--)
        {
            if (string.CompareOrdinal(resource, i, MigrationsFolder, 0, MigrationsFolder.Length) == 0
                && (i == 0 || resource[i - 1] is '.' or '/' or '\\')
                && resource[i + MigrationsFolder.Length] is '.' or '/' or '\\')
            {
                start = i + MigrationsFolder.Length + 1;
                break;
            }
        }
        if (start < 0)
        {
            return false;
        }
        fileName = resource[start..];
        return true;
    }

    static bool TryParseFileName(string fileName, out int version, out string name)
    {
        version = 0;
        name = "";
        var stem = fileName[..^".sql".Length];
        var underscore = stem.IndexOf('_');
        if (underscore <= 0 || underscore == stem.Length - 1)
        {
            return false;
        }
        var digits = stem.AsSpan(0, underscore);
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        foreach (var c in stem.AsSpan(underscore + 1))
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out version) || version <= 0)
        {
            return false;
        }
        name = stem[(underscore + 1)..];
        return true;
    }

    static string Describe(string component, PostgresMigration migration)
        => $"{component}/{migration.Version.ToString("D4", CultureInfo.InvariantCulture)}_{migration.Name}";
}
