using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Commerce.Hosting;
using Commerce.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Commerce.Bench.Harness;

/// <summary>
/// A silo process for the bench's own grains (the <c>grain-lean</c> what-if): this program run as
/// <c>bench-silo</c>, a silo configured as the product's (<see cref="CommerceCluster.AddCommerceSilo"/>:
/// ADO.NET clustering, grain state and reminders on PostgreSQL, the grain-call filters) without the
/// product's grains or HTTP gateway, started like the product silo process (workstation GC, its own
/// loopback ports, output to a log under artifacts/cluster-logs), so that calls to it cross loopback
/// TCP from a cluster client exactly as calls to the product silo do.
/// </summary>
public sealed class BenchSiloProcess : IAsyncDisposable
{
    private readonly Process _process;

    private BenchSiloProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
    }

    public int ProcessId => _process.Id;

    public string LogPath { get; }

    public static async Task<BenchSiloProcess> StartAsync(string connectionString, string name)
    {
        var siloPort = SiloProcess.FreePort();
        var logDirectory = Path.Combine(Repository.Root, "artifacts", "cluster-logs");
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"{name}-{siloPort}.log");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(BenchSiloProcess).Assembly.Location, "bench-silo" },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Commerce__Postgres__ConnectionString"] = connectionString;
        start.Environment["Commerce__Cluster__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["Commerce__Cluster__GatewayPort"] = SiloProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        start.Environment["DOTNET_gcServer"] = "0"; // as the product silo process
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the bench silo process.");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tail = new ConcurrentQueue<string>();
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        void Line(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (log)
            {
                log.WriteLine(line);
            }
            tail.Enqueue(line);
            while (tail.Count > 30 && tail.TryDequeue(out _))
            {
            }
            if (line == BenchSiloHost.ReadyLine)
            {
                ready.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException(
            $"The bench silo exited with code {process.ExitCode} while starting; see {logPath}:\n{string.Join('\n', tail)}"));
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            throw;
        }
        return new BenchSiloProcess(process, logPath);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", $"-TERM {_process.Id}"))
            {
                await term!.WaitForExitAsync();
            }
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
    }
}

/// <summary>The <c>bench-silo</c> command: what <see cref="BenchSiloProcess"/> runs.</summary>
internal static class BenchSiloHost
{
    public const string ReadyLine = "bench-silo: ready";

    public static async Task<int> RunAsync()
    {
        var builder = BenchHost.CreateBuilder(new Dictionary<string, string?>());
        builder.Configuration.AddEnvironmentVariables();
        builder.UseOrleans(silo => silo.AddCommerceSilo(builder.Configuration));
        using var host = builder.Build();
        await host.StartAsync();
        Console.Out.WriteLine(ReadyLine);
        Console.Out.Flush();
        await host.WaitForShutdownAsync();
        return 0;
    }
}
