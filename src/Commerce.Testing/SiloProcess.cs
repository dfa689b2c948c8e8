using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Commerce.Testing;

/// <summary>
/// A real silo process (silo/Commerce.Silo, built in the caller's configuration) on loopback ports
/// of its own, with the product's own cluster settings. Its output, every line timestamped, is appended
/// to a log file under artifacts/cluster-logs. It can be stopped
/// gracefully (SIGTERM), killed (SIGKILL), frozen (SIGSTOP) and resumed (SIGCONT).
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;

    private SiloProcess(Process process, int httpPort, int siloPort, int gatewayPort, string logPath)
    {
        _process = process;
        HttpPort = httpPort;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        LogPath = logPath;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public string LogPath { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <param name="settings">More configuration for the silo, as environment variables (<c>Section__Key</c>); they win over the defaults above.</param>
    /// <param name="siloPort">The silo-to-silo port; a restarted silo keeps its own. The gateway port for cluster clients is <paramref name="gatewayPort"/>.</param>
    public static async Task<SiloProcess> StartAsync(
        string connectionString, string name, int? siloPort = null, int? gatewayPort = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var httpPort = FreePort();
        var port = siloPort ?? FreePort();
        var gateway = gatewayPort ?? FreePort();
        var logDirectory = Path.Combine(Repository.Root, "artifacts", "cluster-logs");
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"{name}-{port}.log");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Repository.SiloAssembly, "--urls", $"http://127.0.0.1:{httpPort}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Repository.SiloAssembly)!,
        };
        var environment = start.Environment;
        environment["Commerce__Postgres__ConnectionString"] = connectionString;
        environment["Commerce__Cluster__SiloPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Commerce__Cluster__GatewayPort"] = gateway.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Logging__LogLevel__Default"] = "Information";
        environment["Logging__LogLevel__Microsoft"] = "Warning";
        environment["Logging__LogLevel__Orleans"] = "Warning";
        environment["Logging__Console__FormatterName"] = "simple";
        environment["Logging__Console__FormatterOptions__TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fff ";
        environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the silo process.");
        // A restarted silo (same name and port) appends to its log: the story of one silo stays in one file.
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var silo = new SiloProcess(process, httpPort, port, gateway, logPath);
        await silo.WaitHealthyAsync();
        return silo;
    }

    private async Task WaitHealthyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The silo exited with code {_process.ExitCode} while starting; see {LogPath}.");
            }
            try
            {
                using var response = await _http.GetAsync("/health", timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Graceful stop: the silo deactivates its grains (their state is already committed) and leaves the cluster.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        Signal("TERM");
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>kill -9: no hand-off, no goodbye.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public void Freeze() => Signal("STOP");

    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_process.Id}")!;
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Resume();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _http.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Where the repository and the built silo are, from the running assembly's location.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The silo built in the same configuration as these tests (Debug or Release).</summary>
    public static string SiloAssembly { get; } = Path.Combine(Root, "silo", "Commerce.Silo", "bin", Configuration(), "net10.0", "Commerce.Silo.dll");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Commerce.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Commerce.sln) above " + AppContext.BaseDirectory);
    }

    private static string Configuration() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // .../bin/<Configuration>/net10.0
}
