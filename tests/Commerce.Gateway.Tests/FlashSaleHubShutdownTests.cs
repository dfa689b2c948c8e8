using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.Hosting;

namespace Commerce.Gateway.Tests;

/// <summary>
/// Issue 12, defect 10: a planned stop after the flash-sale hub was used left the hub's sale feeds to
/// the service provider's disposal, after the silo had stopped, so their renewals and unsubscriptions
/// called a stopped silo. The real silo process, its hub used by the real <c>@microsoft/signalr</c>
/// client, is sent SIGTERM.
/// </summary>
public sealed class FlashSaleHubShutdownTests
{
    private const string OperatorKey = "shutdown-test-operator-key";

    [Fact]
    public async Task A_silo_whose_flash_sale_hub_was_used_stops_by_itself_its_feeds_unsubscribed_before_the_silo()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var node = await SiloProcess.StartAsync(database.ConnectionString, "hub-shutdown", new SiloProcessOptions
        {
            Settings = new Dictionary<string, string>
            {
                ["Commerce__Operators__BootstrapKey"] = OperatorKey,
                // The lines this test reads: the silo's own start and stop, and the feeds' subscription calls.
                ["Logging__LogLevel__Orleans.Hosting.SiloHostedService"] = "Information",
                ["Logging__LogLevel__Commerce.Gateway"] = "Debug",
            },
        });
        var saleId = await CreateSale(node);
        var project = await NodeClients.Installed();
        var output = await NodeClients.Run("node", ["places.mjs", node.BaseAddress.ToString().TrimEnd('/'), saleId, "2"], project, ("COMMERCE_OPERATOR_KEY", OperatorKey));
        Assert.Empty(JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.GetProperty("errors").EnumerateArray());

        // A bound on waiting, not a measurement: past the host's shutdown timeout deploy/run kills it.
        await node.StopAsync(patience: new HostOptions().ShutdownTimeout);

        Assert.Equal(0, node.ExitCode);
        var log = node.ReadLog();
        var stopping = log.IndexOf("Stopping Orleans Silo", StringComparison.Ordinal);
        Assert.True(stopping >= 0, "The silo's stop is not in its log:\n" + log);
        var afterSiloStopped = log[stopping..].Split('\n').Where(line => line.Contains("flash sale", StringComparison.Ordinal)).ToList();
        Assert.True(afterSiloStopped.Count == 0, "The feeds called the silo while it stopped:\n" + string.Join('\n', afterSiloStopped));
    }

    private static async Task<string> CreateSale(SiloProcess node)
    {
        using var http = node.CreateHttpClient();
        var token = await (await http.PostAsJsonAsync("/api/v1/operators/token", new { key = OperatorKey })).Read<JsonElement>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("accessToken").GetString());
        var sku = await Storefront.CatalogSku(http, prefix: "shutdown");
        (await http.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 10 })).EnsureSuccessStatusCode();
        var sale = await (await http.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            id = "shutdown-sale",
            sku,
            units = 2,
            price = new { amount = 1.00m, currency = "EUR" },
            startsAt = DateTimeOffset.UtcNow.AddHours(1),
            endsAt = DateTimeOffset.UtcNow.AddHours(2),
            perCustomerLimit = 1,
            admissionRatePerSecond = 10,
        })).Read<JsonElement>(System.Net.HttpStatusCode.Created);
        return sale.GetProperty("saleId").GetString()!;
    }
}
