using System.Net.Http.Json;
using Commerce.Gateway.Dashboard;
using Commerce.Testing;
using Commerce.Testing.Postgres;

namespace Commerce.Dashboard.Tests;

/// <summary>
/// Two real silo processes in one Orleans cluster and a gateway-only process (a cluster client): each
/// one's dashboard shows both silos with Orleans' figures and the calls they serve, and a silo that dies.
/// </summary>
public sealed class DashboardClusterTests : IAsyncLifetime
{
    private PostgresTestDatabase? _database;
    private SiloProcess? _first;
    private SiloProcess? _second;
    private SiloProcess? _gateway;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        var operatorKey = new Dictionary<string, string> { ["Commerce__Operators__BootstrapKey"] = DashboardSilo.OperatorKey };
        _first = await SiloProcess.StartAsync(_database.ConnectionString, "dashboard-a", settings: operatorKey);
        _second = await SiloProcess.StartAsync(_database.ConnectionString, "dashboard-b", settings: operatorKey);
        _gateway = await SiloProcess.StartAsync(_database.ConnectionString, "dashboard-gateway",
            settings: new Dictionary<string, string>(operatorKey) { ["Commerce__Gateway__SiloEnabled"] = "false" });
    }

    public async Task DisposeAsync()
    {
        foreach (var process in new[] { _gateway, _second, _first })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Every_dashboard_shows_both_silos_the_calls_each_serves_and_a_silo_that_dies()
    {
        using var first = await Operator(_first!);
        using var second = await Operator(_second!);
        using var gateway = await Operator(_gateway!);
        // Stock reads of new SKUs through the gateway-only process: Orleans places the SKU grains on both silos.
        async Task ReadStockOfNewSkus()
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => gateway.GetAsync($"/api/v1/inventory/cluster-sku-{Guid.NewGuid():N}/stock")));
        }
        foreach (var (client, servedByGateway, name) in new[] { (first, false, "first silo"), (second, false, "second silo"), (gateway, true, "gateway-only process") })
        {
            var view = await DashboardSilo.WaitForView(client,
                v => v.Cluster.Silos.Count(s => s is { Reachable: true, Status: "Active", Activations: > 0, MemoryBytes: > 0, CallsPerSecond: > 0 }) == 2
                    && v.GrainTypes.Any(t => t.GrainType == "SkuInventory" && t.PerSilo.Count(p => p.Activations > 0 && p.CallsPerSecond > 0) == 2),
                $"both silos, active and reachable with their figures, each serving SKU calls, on the {name}'s dashboard", ReadStockOfNewSkus);
            Assert.Equal(2, view.Cluster.Silos.Count);
            Assert.Equal(2, view.Cluster.Silos.Select(s => s.Address).Distinct().Count());
            Assert.All(view.Cluster.Silos, s => Assert.True(s.UptimeSeconds > 0 && s.CpuPercent is not null, s.ToString()));
            var skus = view.GrainTypes.Single(t => t.GrainType == "SkuInventory");
            Assert.Equal(view.Cluster.Silos.Select(s => s.SiloId).Order(), skus.PerSilo.Select(p => p.SiloId).Order());
            Assert.Equal(skus.PerSilo.Sum(p => p.Activations), skus.Activations);
            if (servedByGateway)
            {
                Assert.Null(view.ServedBy);
                Assert.True(view.Cluster.Silos.Sum(s => s.Clients) >= 1, "The gateway-only process is a cluster client of the silos.");
            }
            else
            {
                Assert.Contains(view.Cluster.Silos, s => s.SiloId == view.ServedBy);
            }
        }

        var before = await first.GetFromJsonAsync<DashboardView>("/api/v1/dashboard", DashboardSilo.Json);
        var secondId = before!.Cluster.Silos.Single(s => s.SiloId != before.ServedBy).SiloId;
        await _second!.KillAsync();
        foreach (var client in new[] { first, gateway })
        {
            var after = await DashboardSilo.WaitForView(client,
                v => v.Cluster.Silos.Any(s => s.SiloId == secondId && !s.Reachable)
                    && v.Cluster.Silos.Any(s => s.SiloId == before.ServedBy && s.Reachable),
                "the killed silo as unreachable or dead, the other one still reachable");
            var killed = after.Cluster.Silos.Single(s => s.SiloId == secondId);
            Assert.True(killed.Status == "Dead" || killed.Problem is not null, $"A silo that is not read says why: {killed}");
            Assert.Null(killed.Activations);
        }
    }

    private static Task<HttpClient> Operator(SiloProcess process) =>
        DashboardSilo.SignedIn(new Uri($"http://127.0.0.1:{process.HttpPort}"), "/api/v1/operators/token", new { key = DashboardSilo.OperatorKey });
}
