using System.Text.Json;
using System.Threading.Channels;
using Commerce.Grains.Carts;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace Commerce.Cluster.Tests;

/// <summary>
/// Grain observers across silos: a customer follows their cart on one silo's SignalR hub while the
/// cart grain lives on the other silo, and a change made through either silo reaches the device.
/// </summary>
public sealed class ObserverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_cart_followed_on_one_silo_hears_changes_to_its_grain_on_another()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var silos = await SiloGroup.StartAsync(database.ConnectionString, database.DataSource, "observe", 2);
        await using var client = await ClusterClient.StartAsync(database.ConnectionString);
        using var shop = new HttpShop();
        var operatorToken = await shop.OperatorTokenAsync(silos[0].BaseAddress);
        await shop.CreateSkuAsync(silos[0].BaseAddress, operatorToken, "observe-mug", 8m, 50);

        // A customer whose cart grain lives on one silo; the device follows it on the other one.
        var token = await shop.AnonymousTokenAsync(silos[0].BaseAddress);
        await shop.SetCartLineAsync(silos[0].BaseAddress, token, "observe-mug", 1);
        var cartId = (await shop.ReadAsync(await shop.SendAsync(silos[0].BaseAddress, HttpMethod.Get, "/api/v1/cart", token))).GetProperty("cartId").GetString()!;
        var host = silos.Hosting(await client.HostOfAsync(client.Grains.GetGrain<ICartGrain>(cartId)));
        var follower = silos.Silos.Single(s => s != host);

        var changes = Channel.CreateUnbounded<JsonElement>();
        await using var device = new HubConnectionBuilder()
            .WithUrl(new Uri(follower.BaseAddress, "/hubs/cart"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        device.On<JsonElement>("CartChanged", cart => changes.Writer.TryWrite(cart));
        await device.StartAsync();
        var followed = await device.InvokeAsync<JsonElement>("Follow");
        Assert.Equal(1, followed.GetProperty("lines")[0].GetProperty("quantity").GetInt32());

        // Changed through the grain's own silo, then through the follower's: both reach the device.
        foreach (var (through, quantity) in new[] { (host, 3), (follower, 5) })
        {
            await shop.SetCartLineAsync(through.BaseAddress, token, "observe-mug", quantity);
            using var patience = new CancellationTokenSource(ClusterHarness.Patience);
            JsonElement pushed;
            do
            {
                pushed = await changes.Reader.ReadAsync(patience.Token);
            }
            while (pushed.GetProperty("lines")[0].GetProperty("quantity").GetInt32() != quantity);
        }
        output.WriteLine($"cart grain on {host.Name}, device on {follower.Name}: both changes pushed");
    }
}
