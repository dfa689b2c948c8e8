using System.Diagnostics;
using System.Globalization;
using Commerce.Testing;
using Npgsql;

namespace Commerce.Cluster.Tests;

/// <summary>
/// A PostgreSQL server of a test's own, to restart or stop without disturbing the shared test server
/// other test classes use at the same time. Started the way deploy/lib/postgres.sh starts servers:
/// the binaries in <c>COMMERCE_TEST_PG_BIN</c>, run as <c>COMMERCE_TEST_PG_OS_USER</c> (through
/// <c>runuser</c> when we are root, since PostgreSQL refuses to run as root), <c>initdb -A trust</c>,
/// listening on 127.0.0.1 only, data and socket in a temporary directory deleted on dispose.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _osUser;
    private readonly DirectoryInfo _root;

    private PrivatePostgres(string bin, string osUser, DirectoryInfo root, int port)
    {
        _bin = bin;
        _osUser = osUser;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    private string DataDirectory => Path.Combine(_root.FullName, "data");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Pooling=true;Maximum Pool Size=100;No Reset On Close=true";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Environment.GetEnvironmentVariable("COMMERCE_TEST_PG_BIN") is { Length: > 0 } configured ? configured : FindBin();
        var osUser = Environment.GetEnvironmentVariable("COMMERCE_TEST_PG_OS_USER") is { Length: > 0 } user ? user : "postgres";
        // A short path: the socket's ("<dir>/.s.PGSQL.<port>") must stay under 107 bytes.
        var root = Directory.CreateTempSubdirectory("cpg-");
        var server = new PrivatePostgres(bin, osUser, root, SiloProcess.FreePort());
        try
        {
            if (IsRoot)
            {
                await Run("chown", ["-R", osUser, root.FullName]);
            }
            await server.AsOwner("initdb", "-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");
            await server.AsOwner("pg_ctl", "start", "-w", "-t", "60", "-D", server.DataDirectory, "-l", Path.Combine(server.DataDirectory, "server.log"),
                "-o", $"-p {server.Port} -k {root.FullName} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on -c synchronous_commit=on");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary><c>pg_ctl restart -m fast</c>: every connection is closed, open transactions roll back, and the server comes back on the same port.</summary>
    public Task RestartAsync() => AsOwner("pg_ctl", "restart", "-m", "fast", "-w", "-t", "60", "-D", DataDirectory);

    public string ServerLog() => File.Exists(Path.Combine(DataDirectory, "server.log")) ? File.ReadAllText(Path.Combine(DataDirectory, "server.log")) : "";

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await AsOwner("pg_ctl", "stop", "-m", "immediate", "-w", "-t", "30", "-D", DataDirectory);
            }
            catch (InvalidOperationException)
            {
                // Already stopped.
            }
        }
        _root.Delete(recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task AsOwner(string tool, params string[] arguments) =>
        IsRoot ? Run("runuser", ["-u", _osUser, "--", Path.Combine(_bin, tool), .. arguments]) : Run(Path.Combine(_bin, tool), arguments);

    private static async Task Run(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server's OS user may not be able to read the test's working directory (e.g. under /root).
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        if (process.ExitCode != 0)
        {
            var said = await stdout + await stderr;
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{file} {string.Join(' ', start.ArgumentList)} failed with exit code {process.ExitCode}: {said}"));
        }
    }

    private static string FindBin() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
                ?? throw new InvalidOperationException("No PostgreSQL server binaries; set COMMERCE_TEST_PG_BIN.")
            : throw new InvalidOperationException("No PostgreSQL server binaries; set COMMERCE_TEST_PG_BIN.");
}
