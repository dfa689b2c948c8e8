using System.Net.Http.Json;
using Commerce.Runtime.Testing;
using Commerce.Testing.Postgres;

namespace Commerce.Dashboard.Tests;

/// <summary>Two real silo processes in one cluster: each one's dashboard shows both, and a silo that dies.</summary>
public sealed class DashboardClusterTests : IAsyncLifetime
{
    private PostgresTestDatabase? _database;
    private SiloProcess? _first;
    private SiloProcess? _second;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        var operatorKey = new Dictionary<string, string> { ["Commerce__Operators__BootstrapKey"] = DashboardSilo.OperatorKey };
        _first = await SiloProcess.StartAsync(_database.ConnectionString, "dashboard-a", [], settings: operatorKey);
        _second = await SiloProcess.StartAsync(_database.ConnectionString, "dashboard-b", [], settings: operatorKey);
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in new[] { _second, _first })
        {
            if (silo is not null)
            {
                await silo.DisposeAsync();
            }
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Either_silos_dashboard_shows_the_whole_cluster_and_a_silo_that_dies()
    {
        using var first = await Operator(_first!);
        using var second = await Operator(_second!);
        foreach (var client in new[] { first, second })
        {
            var view = await DashboardSilo.WaitForView(client,
                v => v.Cluster.Silos.Count(s => s.Reachable && s.Status == "Active" && s.PartitionsHeld > 0) == 2
                    && v.GrainTypes.Any(t => t.GrainType == "FlashSaleCatalog"),
                "both silos, active and reachable, and the sale catalog the dashboard itself calls");
            Assert.Equal(2, view.Cluster.Silos.Count);
            Assert.Equal(1024, view.Cluster.Silos.Sum(s => s.PartitionsHeld));
            Assert.All(view.Cluster.Silos, s => Assert.True(s.UptimeSeconds > 0 && s.WorkingSetBytes > 0));
            Assert.Contains(view.Cluster.Silos, s => s.SiloId == view.ServedBy);
        }

        var before = await first.GetFromJsonAsync<Gateway.Dashboard.DashboardView>("/api/v1/dashboard", DashboardSilo.Json);
        var secondId = before!.Cluster.Silos.Single(s => s.SiloId != before.ServedBy).SiloId;
        await _second!.KillAsync();
        var after = await DashboardSilo.WaitForView(first,
            v => v.Cluster.Silos.Any(s => s.SiloId == secondId && !s.Reachable),
            "the killed silo as unreachable");
        Assert.Contains(after.Cluster.Silos, s => s.SiloId == after.ServedBy && s.Reachable);
    }

    private static Task<HttpClient> Operator(SiloProcess silo) =>
        DashboardSilo.SignedIn(new Uri($"http://127.0.0.1:{silo.HttpPort}"), "/api/v1/operators/token", new { key = DashboardSilo.OperatorKey });
}
