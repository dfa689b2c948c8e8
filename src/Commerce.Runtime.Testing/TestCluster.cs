using System.Reflection;
using Commerce.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Testing;

/// <summary>How a <see cref="TestCluster"/> builds its silo.</summary>
public sealed class TestClusterOptions
{
    /// <summary>Assemblies whose generated manifests list the grain classes to host.</summary>
    public List<Assembly> GrainAssemblies { get; } = [];

    /// <summary>Silo options; tests usually shorten collection and timeout intervals.</summary>
    public Action<SiloOptions>? ConfigureSilo { get; set; }

    /// <summary>Providers and services: storage, reminders, anything grains inject.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;
}

/// <summary>
/// An in-process silo for xunit tests: start it with chosen providers, call grains through
/// <see cref="GrainFactory"/>, stop it gracefully, and restart it on the same storage to prove
/// what survives.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions _options;
    private IHost? _host;

    private readonly bool _silo;

    private TestCluster(TestClusterOptions options, bool silo)
    {
        _options = options;
        _silo = silo;
    }

    /// <summary>Starts a silo; with <paramref name="silo"/> false, a process whose services make it something else (a cluster client).</summary>
    public static async Task<TestCluster> StartAsync(Action<TestClusterOptions> configure, bool silo = true)
    {
        var options = new TestClusterOptions();
        configure(options);
        var cluster = new TestCluster(options, silo);
        await cluster.StartSiloAsync();
        return cluster;
    }

    public IServiceProvider Services => (_host ?? throw new InvalidOperationException("The silo is stopped.")).Services;

    public IGrainFactory GrainFactory => Services.GetRequiredService<IGrainFactory>();

    /// <summary>Stops the silo gracefully: every activation deactivates and flushes its state.</summary>
    public async Task StopAsync()
    {
        if (_host is null)
        {
            return;
        }
        await _host.StopAsync();
        _host.Dispose();
        _host = null;
    }

    /// <summary>Stops the silo and starts a new one with the same configuration and storage.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartSiloAsync();
    }

    private async Task StartSiloAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole().SetMinimumLevel(_options.MinimumLogLevel);
        if (_silo)
        {
            builder.Services.AddGrainRuntime(_options.ConfigureSilo, [.. _options.GrainAssemblies]);
        }
        _options.ConfigureServices?.Invoke(builder.Services);
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
