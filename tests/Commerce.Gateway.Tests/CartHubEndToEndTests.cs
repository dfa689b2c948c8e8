using System.Text.Json;

namespace Commerce.Gateway.Tests;

/// <summary>The cart hub with the real <c>@microsoft/signalr</c> client: a change on one device is pushed to all of the customer's devices.</summary>
public sealed class CartHubEndToEndTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private sealed record DevicesSummary(int Status, int[] LinesBefore, int[] PushedQuantities, long[] PushedVersions, long VersionBefore);

    [Fact]
    public async Task A_cart_change_is_pushed_to_every_device_of_the_customer()
    {
        var project = await NodeClients.Installed();
        var sku = await new Storefront(server).Sku(12m, stock: 10);
        var (_, _, tokens) = await server.SignedInCustomer();

        var output = await NodeClients.Run("node", ["cart-devices.mjs", server.BaseAddress.ToString().TrimEnd('/'), tokens.AccessToken, sku], project);
        var summary = JsonSerializer.Deserialize<DevicesSummary>(output.Trim().Split('\n')[^1], ApiAssertions.Json)!;

        Assert.Equal(200, summary.Status);
        Assert.Equal([0, 0], summary.LinesBefore);
        Assert.Equal([3, 3], summary.PushedQuantities);
        Assert.All(summary.PushedVersions, version => Assert.True(version > summary.VersionBefore));
    }
}
