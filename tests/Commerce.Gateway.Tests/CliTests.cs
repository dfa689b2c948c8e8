using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Cli;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Gateway.Tests;

/// <summary>The CLI's commands against the server's database: what they write is what the API then serves.</summary>
public sealed class CliTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private NpgsqlDataSource Database => server.Services.GetRequiredService<NpgsqlDataSource>();

    [Fact]
    public async Task Operator_create_makes_an_account_that_signs_in_as_an_operator_once_per_email()
    {
        var email = $"cli-ops-{Guid.NewGuid():N}@example.com";
        Assert.Equal(Accounts.RegistrationOutcome.Created, (await OperatorCommands.CreateOperator(Database, email, "long password", CancellationToken.None)).Item1);
        Assert.Equal(Accounts.RegistrationOutcome.EmailTaken, (await OperatorCommands.CreateOperator(Database, email, "other password", CancellationToken.None)).Item1);

        using var anonymous = server.Anonymous();
        var tokens = await (await anonymous.PostAsJsonAsync("/api/v1/accounts/login", new { email, password = "long password" })).Read<GatewayServer.TokenResponse>();
        using var operatorClient = server.WithToken(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/api/v1/flash-sales")).StatusCode);
    }

    [Fact]
    public async Task Catalog_seed_writes_products_with_options_and_prices_and_stock_and_a_rerun_changes_nothing()
    {
        var seed = Random.Shared.Next(1000, 1_000_000);
        var skus = await CatalogSeeder.WriteCatalog(Database, products: 4, skusPerProduct: 2, stock: 6, seed, CancellationToken.None);
        await CatalogSeeder.ReceiveStock(server.Grains, skus);
        await CatalogSeeder.ReceiveStock(server.Grains, await CatalogSeeder.WriteCatalog(Database, 4, 2, 6, seed, CancellationToken.None));

        Assert.Equal(8, skus.Count);
        using var anonymous = server.Anonymous();
        var product = await (await anonymous.GetAsync($"/api/v1/catalog/products/seed-{seed}-000001")).Read<JsonElement>();
        var sku = product.GetProperty("skus").EnumerateArray().First();
        Assert.Equal("EUR", sku.GetProperty("price").GetProperty("currency").GetString());
        Assert.True(sku.GetProperty("options").TryGetProperty("colour", out _));
        using var operators = await server.Operator();
        var stock = await (await operators.GetAsync($"/api/v1/inventory/{sku.GetProperty("code").GetString()}/stock")).Read<JsonElement>();
        Assert.Equal(6, stock.GetProperty("warehouses").EnumerateArray().Single().GetProperty("onHand").GetInt32());
    }
}
