using System.Net;
using Commerce.Hosting;
using Commerce.Persistence;
using Commerce.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Bench.Harness;

/// <summary>
/// An Orleans silo hosted in this process (a generic host of its own, so several can share the
/// process and form one cluster over loopback TCP). It hosts the grains this program and its
/// references define: the bench's own grains, never the product's (only their contracts are referenced).
/// </summary>
public sealed class InProcessSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private InProcessSilo(IHost host)
    {
        _host = host;
    }

    public IServiceProvider Services => _host.Services;

    /// <summary>The silo's own grain factory: calls from it are local to this silo.</summary>
    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public SiloAddress Address => _host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    /// <summary>The figures of the project's grain storage in this silo (group commits and the callers they answered).</summary>
    public StorageMetrics Storage => _host.Services.GetRequiredService<StorageMetrics>();

    /// <summary>
    /// A lone silo on loopback (Orleans' localhost clustering). With <paramref name="postgres"/> it
    /// keeps grain state the product's way (<see cref="CommerceCluster.UseCommercePostgres"/>: the
    /// journaled state, the storage provider, the schema, reminders, and the telemetry and dashboard
    /// call filters every product silo runs); without it, it is Orleans and nothing else.
    /// </summary>
    public static Task<InProcessSilo> StartLocalAsync(string? postgres) =>
        StartAsync(new Dictionary<string, string?>(), silo =>
        {
            if (postgres is not null)
            {
                silo.UseCommercePostgres(postgres);
            }
            var id = "bench-" + Guid.NewGuid().ToString("N")[..8];
            silo.UseLocalhostClustering(SiloProcess.FreePort(), SiloProcess.FreePort(), serviceId: id, clusterId: id);
        });

    /// <summary>
    /// A silo configured exactly as the product's (<see cref="CommerceCluster.AddCommerceSilo"/>: ADO.NET
    /// clustering on <paramref name="postgres"/>, the fail-over tuning, grain state), on free loopback
    /// ports; silos started with the same <paramref name="clusterId"/> form one cluster.
    /// </summary>
    public static Task<InProcessSilo> StartClusteredAsync(string postgres, string clusterId)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Commerce:Postgres:ConnectionString"] = postgres,
            ["Commerce:Cluster:ClusterId"] = clusterId,
            ["Commerce:Cluster:ServiceId"] = clusterId,
            ["Commerce:Cluster:AdvertisedAddress"] = IPAddress.Loopback.ToString(),
            ["Commerce:Cluster:SiloPort"] = "0",
            ["Commerce:Cluster:GatewayPort"] = "0",
        };
        return StartAsync(settings, (silo, configuration) => silo.AddCommerceSilo(configuration));
    }

    private static Task<InProcessSilo> StartAsync(Dictionary<string, string?> settings, Action<ISiloBuilder> configure) =>
        StartAsync(settings, (silo, _) => configure(silo));

    private static async Task<InProcessSilo> StartAsync(Dictionary<string, string?> settings, Action<ISiloBuilder, IConfiguration> configure)
    {
        var builder = BenchHost.CreateBuilder(settings);
        builder.UseOrleans(silo => configure(silo, builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        return new InProcessSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _host.StopAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            Report.Progress("  (an in-process silo did not stop within 30 s; abandoning it)");
        }
        _host.Dispose();
    }
}

/// <summary>
/// An Orleans cluster client in this process, configured as the product's clients are
/// (<see cref="CommerceCluster.AddCommerceClient"/>: the silos' gateways from the membership table in
/// PostgreSQL): every call crosses loopback TCP to a silo, the same hop a Redis or PostgreSQL client makes.
/// </summary>
public sealed class BenchClient : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchClient(IHost host)
    {
        _host = host;
    }

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public IGrainFactory Grains => Client;

    /// <summary>Connects to the cluster whose silos use <paramref name="postgres"/>; retries while no gateway is listed yet.</summary>
    public static async Task<BenchClient> ConnectAsync(string postgres, string? clusterId = null)
    {
        var settings = new Dictionary<string, string?> { ["Commerce:Postgres:ConnectionString"] = postgres };
        if (clusterId is not null)
        {
            settings["Commerce:Cluster:ClusterId"] = clusterId;
            settings["Commerce:Cluster:ServiceId"] = clusterId;
        }
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var builder = BenchHost.CreateBuilder(settings);
            builder.UseOrleansClient(client => client.AddCommerceClient(builder.Configuration));
            var host = builder.Build();
            try
            {
                await host.StartAsync(patience.Token);
                return new BenchClient(host);
            }
            catch (Exception error) when (!patience.IsCancellationRequested && error is not OperationCanceledException)
            {
                host.Dispose();
                await Task.Delay(250, patience.Token);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _host.StopAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            // A client whose silos are gone may take its time; nothing of it matters any more.
        }
        _host.Dispose();
    }
}

/// <summary>Generic hosts for the bench's silos and clients: only the settings given, warnings and errors to stderr.</summary>
internal static class BenchHost
{
    public static HostApplicationBuilder CreateBuilder(IDictionary<string, string?> settings)
    {
        // No appsettings, no environment: the bench's hosts take nothing from wherever it was started.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // stdout carries the results (JSON lines): every log line goes to stderr.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.Error);
        // A response timeout is a warning per call; the benchmarks count and report failed calls themselves.
        builder.Logging.AddFilter("Orleans.Runtime.CallbackData", LogLevel.Error);
        // Its first check after start reports the time since the machine booted as a stall.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        return builder;
    }
}
