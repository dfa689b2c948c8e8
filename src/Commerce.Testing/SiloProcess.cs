using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Commerce.Testing;

/// <summary>How to start a <see cref="SiloProcess"/>; every property has a safe default.</summary>
public sealed record SiloProcessOptions
{
    /// <summary>The HTTP port (REST, hubs, /health); null picks a free one. A restarted process keeps its own.</summary>
    public int? HttpPort { get; init; }

    /// <summary>The silo-to-silo port; null picks a free one.</summary>
    public int? SiloPort { get; init; }

    /// <summary>The port cluster clients connect to; null picks a free one.</summary>
    public int? GatewayPort { get; init; }

    /// <summary>
    /// True: a gateway-only process (<c>Commerce__Gateway__SiloEnabled=false</c>), an Orleans cluster client
    /// that hosts no grains and serves HTTP only. Its silo and gateway ports are unused.
    /// </summary>
    public bool GatewayOnly { get; init; }

    /// <summary>The process's working directory; null: the silo's build directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The process's HOME; null: inherited.</summary>
    public string? Home { get; init; }

    /// <summary>More configuration, as environment variables (<c>Section__Key</c>); they win over the defaults.</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    /// <summary>How long the process may take to answer <c>GET /health</c>.</summary>
    public TimeSpan StartPatience { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Another program to run in the silo's place (a benchmark's own silo host): its assembly and the
    /// arguments before <c>--urls</c>. It must take the same settings and answer <c>GET /health</c>.
    /// Null: the product silo.
    /// </summary>
    public SiloProgram? Program { get; init; }
}

/// <summary>A .NET program <see cref="SiloProcess"/> starts instead of the product silo.</summary>
public sealed record SiloProgram(string Assembly, IReadOnlyList<string> Arguments);

/// <summary>
/// A real silo process (silo/Commerce.Silo, built in the caller's configuration) on loopback ports of
/// its own, with the product's own cluster settings — or, with <see cref="SiloProcessOptions.GatewayOnly"/>,
/// a gateway-only process. Its output is appended to artifacts/cluster-logs/&lt;name&gt;-&lt;port&gt;.log, every
/// line with a timestamp (the console logger's, or the moment this harness read the line when the line
/// has none), so a restarted process (same name and ports) continues the story of the same file. It can be
/// stopped gracefully (SIGTERM), killed (SIGKILL), frozen (SIGSTOP) and resumed (SIGCONT).
/// </summary>
public sealed partial class SiloProcess : IAsyncDisposable
{
    /// <summary>The console logger's timestamp, as the log lines carry it.</summary>
    public const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly HttpClient _http;
    private readonly string _connectionString;
    private int _disposed;
    private string? _firstError;

    private SiloProcess(Process process, StreamWriter log, string connectionString, string name, SiloProcessOptions options, int httpPort, int siloPort, int gatewayPort, string logPath)
    {
        _process = process;
        _log = log;
        _connectionString = connectionString;
        Name = name;
        Options = options;
        HttpPort = httpPort;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        LogPath = logPath;
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
    }

    public string Name { get; }

    /// <summary>What it was started with (its ports filled in), for <see cref="StartAgainAsync"/>.</summary>
    public SiloProcessOptions Options { get; }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public bool GatewayOnly => Options.GatewayOnly;

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    public string LogPath { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Starts a silo and waits until it answers <c>GET /health</c>.</summary>
    /// <param name="settings">More configuration for the silo, as environment variables (<c>Section__Key</c>); they win over the defaults.</param>
    /// <param name="siloPort">The silo-to-silo port; a restarted silo keeps its own. The gateway port for cluster clients is <paramref name="gatewayPort"/>.</param>
    public static Task<SiloProcess> StartAsync(
        string connectionString, string name, int? siloPort = null, int? gatewayPort = null, IReadOnlyDictionary<string, string>? settings = null) =>
        StartAsync(connectionString, name, new SiloProcessOptions { SiloPort = siloPort, GatewayPort = gatewayPort, Settings = settings });

    /// <summary>Starts a silo (or a gateway-only process) and waits until it answers <c>GET /health</c>.</summary>
    public static async Task<SiloProcess> StartAsync(string connectionString, string name, SiloProcessOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var program = options.Program ?? new SiloProgram(Repository.SiloAssembly, []);
        if (!File.Exists(program.Assembly))
        {
            throw new InvalidOperationException($"{program.Assembly} is missing; build it first (the silo: dotnet build silo/Commerce.Silo -c {Repository.Configuration}).");
        }
        var resolved = options with
        {
            HttpPort = options.HttpPort ?? FreePort(),
            SiloPort = options.GatewayOnly ? options.SiloPort ?? 0 : options.SiloPort ?? FreePort(),
            GatewayPort = options.GatewayOnly ? options.GatewayPort ?? 0 : options.GatewayPort ?? FreePort(),
        };
        var httpPort = resolved.HttpPort!.Value;
        var siloPort = resolved.SiloPort!.Value;
        var gatewayPort = resolved.GatewayPort!.Value;
        var logDirectory = Path.Combine(Repository.Root, "artifacts", "cluster-logs");
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"{name}-{(resolved.GatewayOnly ? httpPort : siloPort)}.log");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = resolved.WorkingDirectory ?? Path.GetDirectoryName(program.Assembly)!,
        };
        foreach (var argument in (string[])[program.Assembly, .. program.Arguments, "--urls", $"http://127.0.0.1:{httpPort}"])
        {
            start.ArgumentList.Add(argument);
        }
        var environment = start.Environment;
        environment["Commerce__Postgres__ConnectionString"] = connectionString;
        // Orleans' own setting: the silo's name in the membership table and the dashboards.
        environment["Orleans__Name"] = name;
        environment["Commerce__Cluster__AdvertisedAddress"] = "127.0.0.1";
        environment["Commerce__Cluster__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
        environment["Commerce__Cluster__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture);
        environment["Commerce__Gateway__SiloEnabled"] = resolved.GatewayOnly ? "false" : "true";
        environment["Logging__LogLevel__Default"] = "Information";
        environment["Logging__LogLevel__Microsoft"] = "Warning";
        environment["Logging__LogLevel__Orleans"] = "Warning";
        environment["Logging__LogLevel__Polly"] = "Warning";
        environment["Logging__Console__FormatterName"] = "simple";
        environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        environment["Logging__Console__FormatterOptions__TimestampFormat"] = TimestampFormat;
        environment["DOTNET_gcServer"] = "0";
        if (resolved.Home is { } home)
        {
            environment["HOME"] = home;
        }
        foreach (var (key, value) in resolved.Settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        // A restarted process (same name and port) appends to its log: the story of one silo stays in one file.
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the silo process.");
        }
        catch
        {
            await log.DisposeAsync();
            throw;
        }
        var silo = new SiloProcess(process, log, connectionString, name, resolved, httpPort, siloPort, gatewayPort, logPath);
        silo.Note($"started pid {process.Id}: {(resolved.GatewayOnly ? "gateway-only" : "silo")} {name}, http {httpPort}, silo port {siloPort}, gateway port {gatewayPort}, working directory {start.WorkingDirectory}");
        process.OutputDataReceived += (_, e) => silo.Write(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await silo.WaitHealthyAsync(resolved.StartPatience);
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
        return silo;
    }

    /// <summary>A new process with the same name, ports and settings (this one must have exited): its log continues this one's.</summary>
    public Task<SiloProcess> StartAgainAsync()
    {
        if (!_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} (pid {ProcessId}) still runs; stop or kill it first.");
        }
        return StartAsync(_connectionString, Name, Options);
    }

    /// <summary>A client for this process's HTTP endpoint (the caller disposes it).</summary>
    public HttpClient CreateHttpClient(TimeSpan? timeout = null) => new() { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    /// <summary>True while the process answers <c>GET /health</c> with a success.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await _http.GetAsync("/health", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // the 5 s client timeout: a frozen or overloaded process
        }
    }

    private async Task WaitHealthyAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            while (!await IsHealthyAsync(timeout.Token))
            {
                if (_process.HasExited)
                {
                    // The first error it printed says why (CI keeps the test's output, not the log file).
                    throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting; see {LogPath}. First error: {Volatile.Read(ref _firstError) ?? "none logged"}");
                }
                await Task.Delay(100, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} did not answer GET /health within {patience.TotalSeconds:0} s; see {LogPath}.");
        }
    }

    /// <summary>Graceful stop (SIGTERM): the silo deactivates its grains (their state is already committed) and leaves the cluster.</summary>
    public async Task StopAsync(TimeSpan? patience = null)
    {
        if (_process.HasExited)
        {
            return;
        }
        Note("sending SIGTERM");
        Signal("TERM");
        await _process.WaitForExitAsync().WaitAsync(patience ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>kill -9: no hand-off, no goodbye.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        Note("sending SIGKILL");
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the process stops running but keeps its sockets, as a long GC pause or a stuck VM would.</summary>
    public void Freeze()
    {
        Note("sending SIGSTOP");
        Signal("STOP");
    }

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Resume()
    {
        Note("sending SIGCONT");
        Signal("CONT");
    }

    /// <summary>Waits for the process to exit by itself; false if it still runs after <paramref name="patience"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan patience)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(patience);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The log so far (the file is shared, so this works while the process writes).</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private void Signal(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process.Id}") { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with exit code {kill.ExitCode}.");
        }
    }

    /// <summary>A line from the harness itself, in the same log.</summary>
    private void Note(string text) => Write($"{DateTime.Now.ToString(TimestampFormat, CultureInfo.InvariantCulture)}[harness] {text}");

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }
        if (!StartsWithTimestamp().IsMatch(line))
        {
            line = DateTime.Now.ToString(TimestampFormat, CultureInfo.InvariantCulture) + line;
        }
        if (IsError().IsMatch(line))
        {
            Interlocked.CompareExchange(ref _firstError, line, null);
        }
        lock (_log)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _log.WriteLine(line);
            }
        }
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")]
    private static partial Regex StartsWithTimestamp();

    /// <summary>A console-logger error or critical line, or the runtime's report of an unhandled exception.</summary>
    [GeneratedRegex(@"\b(fail|crit): |Unhandled exception")]
    private static partial Regex IsError();

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        if (!_process.HasExited)
        {
            try
            {
                Signal("CONT");
                Note("disposed while running: sending SIGKILL");
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited in between.
            }
        }
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Note($"exited with code {_process.ExitCode}");
        lock (_log)
        {
            Volatile.Write(ref _disposed, 1);
            _log.Dispose();
        }
        _process.Dispose();
        _http.Dispose();
    }

    /// <summary>
    /// A TCP port nothing listens on, below the kernel's ephemeral range: a port the kernel picked for
    /// <c>bind(0)</c> is also one it may give the next outgoing connection (a PostgreSQL pool opening,
    /// an HTTP request) before the silo binds it, and the silo would then fail to start. Never the same
    /// port twice in one test run, so processes started at the same moment cannot pick the same one.
    /// </summary>
    public static int FreePort()
    {
        var (low, high) = UnprivilegedPortsBelowEphemeralRange();
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(low, high);
            lock (HandedOutPorts)
            {
                if (HandedOutPorts.Contains(port) || !CanListenOn(port))
                {
                    continue;
                }
                HandedOutPorts.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"No free TCP port between {low} and {high}.");
    }

    private static readonly HashSet<int> HandedOutPorts = [];

    private static bool CanListenOn(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port); // silos listen on every interface
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>[10000, start of /proc/sys/net/ipv4/ip_local_port_range), or [10000, 32768) where it cannot be read.</summary>
    private static (int Low, int High) UnprivilegedPortsBelowEphemeralRange()
    {
        const int low = 10000;
        var high = 32768; // Linux's default ephemeral range starts here
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (int.TryParse(range[0], CultureInfo.InvariantCulture, out var first) && first > low + 1000)
            {
                high = first;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return (low, high);
    }
}

/// <summary>Where the repository and the built silo are, from the running assembly's location.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration the running tests were built in (Debug or Release).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // .../bin/<Configuration>/net10.0

    /// <summary>The silo built in the same configuration as these tests (Debug or Release).</summary>
    public static string SiloAssembly { get; } = Path.Combine(Root, "silo", "Commerce.Silo", "bin", Configuration, "net10.0", "Commerce.Silo.dll");

    /// <summary>The product silo with a recording search-index writer (tests/Commerce.Testing.IndexedSilo), built in the same configuration.</summary>
    public static string IndexedSiloAssembly { get; } = Path.Combine(Root, "tests", "Commerce.Testing.IndexedSilo", "bin", Configuration, "net10.0", "Commerce.Testing.IndexedSilo.dll");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Commerce.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Commerce.sln) above " + AppContext.BaseDirectory);
    }
}
