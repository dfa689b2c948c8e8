using Commerce.Testing;

namespace Commerce.Bench.Harness;

/// <summary>
/// A product silo process (silo/Commerce.Silo, Release) and an Orleans cluster client of it in this
/// process, started and stopped together: every call crosses loopback TCP to the silo, the same hop a
/// Redis or PostgreSQL client makes. The silo gets the run's operator key (<see cref="OperatorClient"/>)
/// besides <c>settings</c>.
/// </summary>
public sealed class SiloWithClient : IAsyncDisposable
{
    private readonly BenchClient _client;

    private SiloWithClient(SiloProcess silo, BenchClient client)
    {
        Silo = silo;
        _client = client;
    }

    public SiloProcess Silo { get; }

    public IGrainFactory Grains => _client.Grains;

    public static async Task<SiloWithClient> StartAsync(string connectionString, string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var silo = await SiloProcess.StartAsync(connectionString, name, settings: BenchSiloSettings.With(settings));
        try
        {
            return new SiloWithClient(silo, await BenchClient.ConnectAsync(connectionString));
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await Silo.StopAsync();
        await Silo.DisposeAsync();
    }
}

/// <summary>What every silo process a benchmark starts gets: the run's operator key and quiet logs.</summary>
public static class BenchSiloSettings
{
    public static IReadOnlyDictionary<string, string> With(IReadOnlyDictionary<string, string>? settings)
    {
        var all = new Dictionary<string, string>(OperatorClient.SiloSettings)
        {
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }
        return all;
    }
}
