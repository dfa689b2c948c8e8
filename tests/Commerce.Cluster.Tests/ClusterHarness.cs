using System.Globalization;
using System.Net;
using Commerce.Hosting;
using Commerce.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Commerce.Cluster.Tests;

/// <summary>The tests' figures: in the test's own output, and on the console as <c>[cluster] …</c> lines that a run's log keeps.</summary>
internal static class ClusterReport
{
    public static void Report(this Xunit.Abstractions.ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        Console.WriteLine($"[cluster] {line}");
    }
}

/// <summary>Helpers shared by the multi-process cluster tests.</summary>
internal static class ClusterHarness
{
    public const string OperatorKey = "cluster-test-operator-key";

    /// <summary>How long a test waits for the cluster to do something it promised (a dead silo's grains answering elsewhere, a join).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>What every silo process of these tests runs with besides the product's defaults (its failover settings included).</summary>
    public static readonly IReadOnlyDictionary<string, string> SiloSettings = new Dictionary<string, string>
    {
        ["Commerce__Operators__BootstrapKey"] = OperatorKey,
        // Tests sign many customers in from one address.
        ["Commerce__RateLimits__AccountsPerAddress__PermitLimit"] = "100000",
        ["Commerce__RateLimits__OperatorLoginPerAddress__PermitLimit"] = "100000",
        ["Commerce__RateLimits__CheckoutPerAddress__PermitLimit"] = "100000",
        ["Commerce__RateLimits__CheckoutPerCustomer__PermitLimit"] = "100000",
    };

    public static IReadOnlyDictionary<string, string> With(this IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> more)
    {
        var all = new Dictionary<string, string>(settings);
        foreach (var (key, value) in more)
        {
            all[key] = value;
        }
        return all;
    }

    /// <summary>"127.0.0.1:11111": how a silo process appears in Orleans' addresses and the membership table.</summary>
    public static bool Is(this SiloAddress? address, SiloProcess silo) => address is not null && address.Endpoint.Port == silo.SiloPort;
}

/// <summary>Silo processes started together and disposed together; a restarted one takes its place.</summary>
internal sealed class SiloGroup : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos;

    private SiloGroup(List<SiloProcess> silos) => _silos = silos;

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public SiloProcess this[int index] => _silos[index];

    public int Count => _silos.Count;

    /// <summary>Starts <paramref name="count"/> silos at once (as <c>deploy/cluster up</c> does) and waits until each is Active in the membership table.</summary>
    public static Task<SiloGroup> StartAsync(string connectionString, NpgsqlDataSource database, string name, int count, IReadOnlyDictionary<string, string>? settings = null) =>
        StartAsync(connectionString, database, Enumerable.Range(0, count).Select(i => ($"{name}-{i}", new SiloProcessOptions { Settings = settings ?? ClusterHarness.SiloSettings })));

    /// <summary>Starts these processes at once; waits until every silo among them is Active in the membership table.</summary>
    public static async Task<SiloGroup> StartAsync(string connectionString, NpgsqlDataSource database, IEnumerable<(string Name, SiloProcessOptions Options)> processes)
    {
        var starting = processes.Select(p => SiloProcess.StartAsync(connectionString, p.Name, p.Options)).ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }
            throw;
        }
        var group = new SiloGroup([.. starting.Select(t => t.Result)]);
        try
        {
            await Membership.WaitForActiveAsync(database, group.Silos.Where(s => !s.GatewayOnly));
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }
        return group;
    }

    /// <summary>Starts the (exited) silo again with its name and ports; it joins as a new generation and takes the old one's place here.</summary>
    public async Task<SiloProcess> RestartAsync(SiloProcess silo)
    {
        var index = _silos.IndexOf(silo);
        if (index < 0)
        {
            throw new ArgumentException($"{silo.Name} is not in this group.", nameof(silo));
        }
        var again = await silo.StartAgainAsync();
        await silo.DisposeAsync();
        _silos[index] = again;
        return again;
    }

    public SiloProcess Hosting(SiloAddress? address) =>
        _silos.SingleOrDefault(s => address.Is(s)) ?? throw new InvalidOperationException($"No silo of this group is at {address}.");

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }
}

/// <summary>A row of Orleans' membership table.</summary>
internal sealed record MembershipRow(string Address, int Port, int Generation, string SiloName, int Status, int ProxyPort, DateTime IAmAliveTime)
{
    public const int Active = 3;
    public const int Dead = 6;

    public override string ToString() => $"{Address}:{Port}@{Generation} {StatusName(Status)}";

    public static string StatusName(int status) => status switch
    {
        0 => "None",
        1 => "Created",
        2 => "Joining",
        3 => "Active",
        4 => "ShuttingDown",
        5 => "Stopping",
        6 => "Dead",
        _ => status.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>Orleans' membership table (<c>orleansmembershiptable</c>), read the way an operator would.</summary>
internal static class Membership
{
    public static async Task<List<MembershipRow>> ReadAsync(NpgsqlDataSource database)
    {
        var rows = new List<MembershipRow>();
        await using var command = database.CreateCommand(
            "SELECT address, port, generation, siloname, status, proxyport, iamalivetime FROM orleansmembershiptable ORDER BY port, generation");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new MembershipRow(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetDateTime(6)));
        }
        return rows;
    }

    /// <summary>Exactly these silos are Active (one generation each), and no other silo is.</summary>
    public static Task WaitForActiveAsync(NpgsqlDataSource database, IEnumerable<SiloProcess> silos)
    {
        var ports = silos.Select(s => s.SiloPort).Order().ToList();
        return Eventually.Value(() => ReadAsync(database),
            rows => rows.Where(r => r.Status == MembershipRow.Active).Select(r => r.Port).Order().SequenceEqual(ports),
            $"exactly the silos on ports {string.Join(", ", ports)} Active in the membership table", ClusterHarness.Patience,
            rows => string.Join("; ", rows));
    }

    /// <summary>The newest row of the silo process's endpoint.</summary>
    public static async Task<MembershipRow?> LatestAsync(NpgsqlDataSource database, SiloProcess silo) =>
        (await ReadAsync(database)).Where(r => r.Port == silo.SiloPort).MaxBy(r => r.Generation);
}

/// <summary>
/// An Orleans cluster client in the test process, set up as the product's own clients are
/// (<see cref="CommerceCluster.AddCommerceClient"/>: gateways from the membership table in PostgreSQL),
/// or pinned to one silo's gateway.
/// </summary>
internal sealed class ClusterClient : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterClient(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public IGrainFactory Grains => Client;

    public IManagementGrain Management => Client.GetGrain<IManagementGrain>(0);

    public static Task<ClusterClient> StartAsync(string connectionString) =>
        StartAsync(connectionString, (client, configuration) => client.AddCommerceClient(configuration));

    /// <summary>
    /// A client that only knows one silo's gateway and waits <paramref name="responseTimeout"/> for answers:
    /// a request it sends to a frozen silo stays valid until the silo wakes up.
    /// </summary>
    public static Task<ClusterClient> StartPinnedAsync(string connectionString, SiloProcess gateway, TimeSpan responseTimeout) =>
        StartAsync(connectionString, (client, _) =>
        {
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, gateway.GatewayPort));
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = "commerce";
                o.ServiceId = "commerce";
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = responseTimeout);
        });

    private static async Task<ClusterClient> StartAsync(string connectionString, Action<IClientBuilder, IConfiguration> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Postgres:ConnectionString"] = connectionString });
        builder.UseOrleansClient(client => configure(client, builder.Configuration));
        var host = builder.Build();
        try
        {
            await host.StartAsync().WaitAsync(ClusterHarness.Patience);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new ClusterClient(host);
    }

    /// <summary>
    /// The silo an activation of <paramref name="grain"/> lives on now, as Orleans' directory says (asked
    /// again while the cluster is moving: the management grain may itself have lived on a silo that died).
    /// </summary>
    public Task<SiloAddress?> HostOfAsync(IAddressable grain) =>
        Eventually.Answered(async () => await Management.GetActivationAddress(grain), patience: ClusterHarness.Patience);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (Exception)
        {
            // A client of a cluster that is gone may not stop cleanly; it is disposed anyway.
        }
        _host.Dispose();
    }
}
