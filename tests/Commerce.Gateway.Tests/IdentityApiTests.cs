using System.Net;
using System.Net.Http.Json;

namespace Commerce.Gateway.Tests;

public sealed class IdentityApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    [Fact]
    public async Task Operator_endpoints_need_an_operator_token_and_customer_endpoints_a_customer_token()
    {
        using var anonymous = server.Anonymous();
        using var customer = await server.NewCustomer();
        using var operators = await server.Operator();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/flash-sales")).StatusCode);
        await (await customer.GetAsync("/api/v1/flash-sales")).AssertProblem(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await operators.GetAsync("/api/v1/flash-sales")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/v1/flash-sales/some-sale/queue", null)).StatusCode);
        await (await operators.PostAsync("/api/v1/flash-sales/some-sale/queue", null)).AssertProblem(HttpStatusCode.Forbidden);
        await (await customer.PostAsync("/api/v1/flash-sales/some-sale/queue", null)).AssertProblem(HttpStatusCode.NotFound, code: "unknown-flash-sale");
    }

    [Fact]
    public async Task A_forged_or_garbled_token_is_refused()
    {
        using var forged = server.WithToken("not-a-token-the-gateway-signed");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/v1/flash-sales/some-sale/queue/me")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_operator_key_gets_401_and_a_missing_one_400_naming_it()
    {
        using var anonymous = server.Anonymous();
        await (await anonymous.PostAsJsonAsync("/api/v1/operators/token", new { key = "guess" })).AssertProblem(HttpStatusCode.Unauthorized, code: "operator-key-invalid");
        await (await anonymous.PostAsJsonAsync("/api/v1/operators/token", new { })).AssertProblem(HttpStatusCode.BadRequest, field: "key");
    }

    [Fact]
    public async Task Each_anonymous_token_is_a_different_customer()
    {
        using var anonymous = server.Anonymous();
        var first = await (await anonymous.PostAsync("/api/v1/customers/anonymous", null)).Read<GatewayServer.TokenResponse>();
        var second = await (await anonymous.PostAsync("/api/v1/customers/anonymous", null)).Read<GatewayServer.TokenResponse>();
        Assert.NotEqual(first.AccessToken, second.AccessToken);
        Assert.True(first.ExpiresIn > 0);
    }
}

/// <summary>A server without a bootstrap key: nobody can become an operator.</summary>
public sealed class KeylessGatewayServer : GatewayServer
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Commerce:Operators:BootstrapKey"] = "" };
}

public sealed class KeylessOperatorLoginTests(KeylessGatewayServer server) : IClassFixture<KeylessGatewayServer>
{
    [Fact]
    public async Task Without_a_configured_key_operator_login_is_impossible()
    {
        using var anonymous = server.Anonymous();
        await (await anonymous.PostAsJsonAsync("/api/v1/operators/token", new { key = "" })).AssertProblem(HttpStatusCode.BadRequest, field: "key");
        await (await anonymous.PostAsJsonAsync("/api/v1/operators/token", new { key = GatewayServer.OperatorKey })).AssertProblem(HttpStatusCode.Unauthorized, code: "operator-login-disabled");
    }
}
