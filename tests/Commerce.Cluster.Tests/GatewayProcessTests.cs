using System.Net;
using Commerce.Grains.Carts;
using Commerce.Grains.Inventory;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Commerce.Cluster.Tests;

/// <summary>
/// The HTTP side of the cluster: a gateway-only process (an Orleans cluster client, no grains) serving
/// the REST API for a silo, and one identity across processes started from different working
/// directories and home folders (the data-protection key ring is in PostgreSQL).
/// </summary>
public sealed class GatewayProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_gateway_only_process_serves_the_shop_through_the_silo_and_hosts_no_grains()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var silos = await SiloGroup.StartAsync(database.ConnectionString, database.DataSource, "edge-silo", 1);
        await using var gateway = await SiloProcess.StartAsync(database.ConnectionString, "edge-gateway",
            new SiloProcessOptions { GatewayOnly = true, Settings = ClusterHarness.SiloSettings });
        var silo = silos[0];
        var at = gateway.BaseAddress;
        using var shop = new HttpShop();

        // The whole storefront flow through the gateway-only process: catalog and stock, a cart, a checkout.
        var operatorToken = await shop.OperatorTokenAsync(at);
        const string sku = "edge-lamp";
        await shop.CreateSkuAsync(at, operatorToken, sku, 12.5m, 10);
        Assert.Equal((10, 0), await shop.StockAsync(at, operatorToken, sku));
        var anonymous = await shop.AnonymousTokenAsync(at);
        await shop.SetCartLineAsync(at, anonymous, sku, 2);
        var cart = await shop.ReadAsync(await shop.SendAsync(at, HttpMethod.Get, "/api/v1/cart", anonymous));
        Assert.Equal(sku, Assert.Single(cart.GetProperty("lines").EnumerateArray()).GetProperty("sku").GetString());
        var (accountId, customer, _) = await shop.SignedInCustomerAsync(at);
        await shop.SetCartLineAsync(at, customer, sku, 3);
        var order = await shop.ReadAsync(await shop.PlaceOrderAsync(at, customer, "edge-checkout", HttpShop.GoodCard), HttpStatusCode.Created);
        Assert.Equal("Confirmed", order.GetProperty("status").GetString());
        Assert.Equal((7, 0), await shop.StockAsync(at, operatorToken, sku)); // 3 sold; carts hold nothing
        var availability = await shop.ReadAsync(await shop.SendAsync(at, HttpMethod.Get, $"/api/v1/inventory/{sku}"));
        Assert.Equal("InStock", availability.GetProperty("level").GetString());

        // It is no silo: the membership table lists the one silo only, and every grain it used lives there.
        var members = await Membership.ReadAsync(database.DataSource);
        Assert.Equal(silo.SiloPort, Assert.Single(members).Port);
        await using var client = await ClusterClient.StartAsync(database.ConnectionString);
        var hosts = await client.Management.GetHosts(onlyActive: true);
        Assert.Equal(silo.SiloPort, Assert.Single(hosts.Keys).Endpoint.Port);
        Assert.True((await client.HostOfAsync(client.Grains.GetGrain<ISkuInventoryGrain>(sku))).Is(silo), "The SKU lives on the silo.");
        Assert.True((await client.HostOfAsync(client.Grains.GetGrain<ICartGrain>(accountId))).Is(silo), "The cart lives on the silo.");
        Assert.True(await gateway.IsHealthyAsync());
        output.Report($"gateway-only process on {at} served catalog, stock, carts and a checkout; the cluster has {members.Count} silo, at port {silo.SiloPort}");
    }

    [Fact]
    public async Task A_token_issued_by_one_silo_is_accepted_by_another_started_from_elsewhere()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var homes = new[] { Directory.CreateTempSubdirectory("commerce-home-a-"), Directory.CreateTempSubdirectory("commerce-home-b-") };
        var workingDirectories = new[] { Directory.CreateTempSubdirectory("commerce-cwd-a-"), Directory.CreateTempSubdirectory("commerce-cwd-b-") };
        try
        {
            // Started at the same moment on an empty key ring, as deploy/cluster starts its silos.
            await using var silos = await SiloGroup.StartAsync(database.ConnectionString, database.DataSource, Enumerable.Range(0, 2).Select(i => ($"identity-{i}", new SiloProcessOptions
            {
                Home = homes[i].FullName,
                WorkingDirectory = workingDirectories[i].FullName,
                Settings = ClusterHarness.SiloSettings,
            })));
            var (a, b) = (silos[0], silos[1]);
            using var shop = new HttpShop();

            foreach (var (issuer, reader) in new[] { (a, b), (b, a) })
            {
                var anonymous = await shop.AnonymousTokenAsync(issuer.BaseAddress);
                await shop.ReadAsync(await shop.SendAsync(reader.BaseAddress, HttpMethod.Get, "/api/v1/cart", anonymous));

                var operatorToken = await shop.OperatorTokenAsync(issuer.BaseAddress);
                // Signed in and allowed: the unknown SKU is a 404, not a 401 or 403.
                var unknown = await shop.SendAsync(reader.BaseAddress, HttpMethod.Get, "/api/v1/inventory/no-such-sku/stock", operatorToken);
                Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

                // An account registered at one, signed in at the other, known to both; its refresh token works anywhere.
                var (accountId, access, refresh) = await shop.SignedInCustomerAsync(issuer.BaseAddress, loginAt: reader.BaseAddress);
                var me = await shop.ReadAsync(await shop.SendAsync(issuer.BaseAddress, HttpMethod.Get, "/api/v1/accounts/me", access));
                Assert.Equal(accountId, me.GetProperty("accountId").GetString());
                var refreshed = await shop.ReadAsync(await shop.SendAsync(issuer.BaseAddress, HttpMethod.Post, "/api/v1/accounts/refresh", body: new { refreshToken = refresh }));
                await shop.ReadAsync(await shop.SendAsync(reader.BaseAddress, HttpMethod.Get, "/api/v1/accounts/me", refreshed.GetProperty("accessToken").GetString()));

                // A forged token is still refused.
                var forged = await shop.SendAsync(reader.BaseAddress, HttpMethod.Get, "/api/v1/cart", anonymous[..^4] + "AAAA");
                Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
            }

            // The keys are in PostgreSQL, not in either home folder.
            Assert.True(await KeyCount(database.DataSource) >= 1);
            foreach (var home in homes)
            {
                Assert.False(Directory.Exists(Path.Combine(home.FullName, ".aspnet", "DataProtection-Keys")), $"Keys were written under {home.FullName}.");
            }
            output.Report($"tokens of either silo accepted by the other; {await KeyCount(database.DataSource)} key(s) in data_protection_keys");
        }
        finally
        {
            foreach (var directory in homes.Concat(workingDirectories))
            {
                directory.Delete(recursive: true);
            }
        }
    }

    private static async Task<long> KeyCount(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand("SELECT count(*) FROM data_protection_keys");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
