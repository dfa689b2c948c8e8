using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;

namespace Commerce.Gateway.Tests;

/// <summary>
/// The flash-sale hub end to end with the real <c>@microsoft/signalr</c> client under node: several
/// hundred connections join one sale, all get positions, the admitted buy, the rest hear sold out,
/// and the totals match the pool exactly.
/// </summary>
public sealed class FlashSaleHubEndToEndTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private const int Customers = 300;
    private const int Units = 100;

    private sealed record CrowdSummary(int Customers, int WithPosition, int WithPushedPosition, int Admitted, int Buyers, int UnitsPurchased, int SoldOut, string[] Errors);

    [Fact]
    public async Task Several_hundred_signalr_clients_queue_the_admitted_buy_and_the_rest_hear_sold_out()
    {
        var project = NodeProject();
        if (!Directory.Exists(Path.Combine(project, "node_modules")))
        {
            await Run("npm", ["ci", "--no-audit", "--no-fund"], project);
        }
        using var operators = await server.Operator();
        var sku = "hub-sku-" + Guid.NewGuid().ToString("N")[..8];
        var saleId = "hub-sale-" + Guid.NewGuid().ToString("N")[..8];
        (await operators.PostAsJsonAsync($"/api/v1/inventory/{sku}/receipts", new { warehouseId = "north", quantity = 500 })).EnsureSuccessStatusCode();
        var created = await operators.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            id = saleId,
            sku,
            units = Units,
            price = new { amount = 1.00m, currency = "EUR" },
            startsAt = DateTimeOffset.UtcNow.AddHours(1),
            endsAt = DateTimeOffset.UtcNow.AddHours(2),
            perCustomerLimit = 1,
            admissionRatePerSecond = 50,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var output = await Run("node", ["crowd.mjs", server.BaseAddress.ToString().TrimEnd('/'), saleId, Customers.ToString(System.Globalization.CultureInfo.InvariantCulture)], project,
            ("COMMERCE_OPERATOR_KEY", GatewayServer.OperatorKey));
        var summary = JsonSerializer.Deserialize<CrowdSummary>(output.Trim().Split('\n')[^1], ApiAssertions.Json)!;

        Assert.Empty(summary.Errors);
        Assert.Equal(Customers, summary.Customers);
        Assert.Equal(Customers, summary.WithPosition);
        Assert.True(summary.WithPushedPosition > 0, "No position was ever pushed as the queue moved.");
        Assert.Equal((Units, Units, Units), (summary.Admitted, summary.Buyers, summary.UnitsPurchased));
        Assert.Equal(Customers - Units, summary.SoldOut);

        var sale = (await server.Grains.GetGrain<IFlashSaleGrain>(saleId).GetStatus())!;
        Assert.Equal((SalePhase.SoldOut, Units, (long)Customers), (sale.Phase, sale.UnitsSold, sale.CustomersQueued));
        var stock = (await server.Grains.GetGrain<ISkuInventoryGrain>(sku).GetStock())!;
        Assert.Equal((500, Units, 400), (stock.OnHand, stock.Reserved, stock.Available));
    }

    /// <summary>The node project beside this file in the source tree (node_modules is installed there, git-ignored).</summary>
    private static string NodeProject()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "Commerce.Gateway.Tests", "signalr");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("tests/Commerce.Gateway.Tests/signalr not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs a child process to completion; its standard output is returned, a failure shows both streams.</summary>
    private static async Task<string> Run(string program, string[] arguments, string directory, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}: is it installed (Debian: nodejs npm)?");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Only reached if something hangs: the script gives up on its own after two minutes.
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(patience.Token);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return await stdout;
    }
}
