using System.Reflection;
using Commerce.Runtime;
using Commerce.Runtime.Testing;

namespace Commerce.Bench.Harness;

/// <summary>
/// A benchmark's silo process and a cluster client of it in this process, started and stopped
/// together: every call crosses loopback TCP to the silo, the same hop a Redis or PostgreSQL
/// client makes. The silo gets the run's operator key (<see cref="OperatorClient"/>) besides <c>settings</c>.
/// </summary>
public sealed class SiloWithClient : IAsyncDisposable
{
    private readonly TestCluster _client;

    private SiloWithClient(SiloProcess silo, TestCluster client)
    {
        Silo = silo;
        _client = client;
    }

    public SiloProcess Silo { get; }

    public IGrainFactory Grains => _client.GrainFactory;

    /// <param name="siloGrains">Grain assemblies the silo loads besides its built-in ones.</param>
    /// <param name="clientGrains">The grain classes' assembly, for the client's grain type names.</param>
    public static async Task<SiloWithClient> StartAsync(
        string connectionString, string name, Assembly[] siloGrains, Assembly clientGrains, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(OperatorClient.SiloSettings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }
        var silo = await SiloProcess.StartAsync(connectionString, name, siloGrains, settings: all);
        await BenchCluster.WaitForPartitionsAsync(connectionString, 1);
        return new SiloWithClient(silo, await BenchCluster.StartClientAsync(connectionString, clientGrains));
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await Silo.StopAsync();
        await Silo.DisposeAsync();
    }
}
