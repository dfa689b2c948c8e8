using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway.Tests;

public sealed class AccountsApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    [Fact]
    public async Task Register_then_sign_in_gives_a_customer_token_with_expiry_and_refresh()
    {
        var (client, customerId, tokens) = await server.SignedInCustomer();
        Assert.True(tokens.ExpiresIn > 0);
        Assert.False(string.IsNullOrEmpty(tokens.RefreshToken));
        var me = await (await client.GetAsync("/api/v1/accounts/me")).Read<JsonElement>();
        Assert.Equal((customerId, "Customer"), (me.GetProperty("accountId").GetString(), me.GetProperty("role").GetString()));

        using var anonymous = server.Anonymous();
        var refreshed = await (await anonymous.PostAsJsonAsync("/api/v1/accounts/refresh", new { refreshToken = tokens.RefreshToken })).Read<GatewayServer.TokenResponse>();
        using var renewed = server.WithToken(refreshed.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/v1/accounts/me")).StatusCode);
    }

    [Fact]
    public async Task Bad_registrations_name_the_field_and_a_taken_email_is_a_conflict()
    {
        using var anonymous = server.Anonymous();
        await (await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email = "not-an-email", password = "long enough" })).AssertProblem(HttpStatusCode.BadRequest, field: "email");
        await (await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email = "a@example.com", password = "short" })).AssertProblem(HttpStatusCode.BadRequest, field: "password");
        var email = $"twice-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email, password = "long enough" })).StatusCode);
        await (await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email = email.ToUpperInvariant(), password = "other password" }))
            .AssertProblem(HttpStatusCode.Conflict, field: "email", code: "email-taken");
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_401()
    {
        using var anonymous = server.Anonymous();
        var email = $"pw-{Guid.NewGuid():N}@example.com";
        await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email, password = "the right one" });
        await (await anonymous.PostAsJsonAsync("/api/v1/accounts/login", new { email, password = "the wrong one" })).AssertProblem(HttpStatusCode.Unauthorized, code: "invalid-credentials");
        await (await anonymous.PostAsJsonAsync("/api/v1/accounts/login", new { email = "nobody@example.com", password = "the wrong one" })).AssertProblem(HttpStatusCode.Unauthorized, code: "invalid-credentials");
    }

    [Fact]
    public async Task Logging_out_stops_both_the_access_and_the_refresh_token()
    {
        var (client, _, tokens) = await server.SignedInCustomer();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/accounts/logout", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/accounts/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/orders")).StatusCode);
        using var anonymous = server.Anonymous();
        await (await anonymous.PostAsJsonAsync("/api/v1/accounts/refresh", new { refreshToken = tokens.RefreshToken })).AssertProblem(HttpStatusCode.Unauthorized, code: "refresh-token-invalid");
        await (await anonymous.PostAsJsonAsync("/api/v1/accounts/refresh", new { refreshToken = "forged" })).AssertProblem(HttpStatusCode.Unauthorized, code: "refresh-token-invalid");
    }

    [Fact]
    public async Task Registration_never_makes_an_operator_but_an_operator_account_made_like_the_cli_does_signs_in_as_one()
    {
        var (customer, _, _) = await server.SignedInCustomer();
        await (await customer.PutAsJsonAsync("/api/v1/catalog/products/p-1", new { title = "Nope" })).AssertProblem(HttpStatusCode.Forbidden);

        var email = $"ops-{Guid.NewGuid():N}@example.com";
        var (outcome, _) = await server.Services.GetRequiredService<AccountStore>().Register(email, "operator password", AccountRole.Operator);
        Assert.Equal(RegistrationOutcome.Created, outcome);
        using var anonymous = server.Anonymous();
        var tokens = await (await anonymous.PostAsJsonAsync("/api/v1/accounts/login", new { email, password = "operator password" })).Read<GatewayServer.TokenResponse>();
        using var operatorClient = server.WithToken(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Created, (await operatorClient.PutAsJsonAsync($"/api/v1/catalog/products/p-{Guid.NewGuid():N}", new { title = "Lamp" })).StatusCode);
        // An operator is not a customer: no checkout.
        await (await operatorClient.PostAsJsonAsync("/api/v1/orders", new { })).AssertProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Signing_in_moves_the_guest_cart_into_the_customer_cart()
    {
        var sku = await new Storefront(server).Sku(9.99m, stock: 10);
        using var guest = await server.NewCustomer();
        (await guest.PostAsJsonAsync("/api/v1/cart/items", new { sku, quantity = 2 })).EnsureSuccessStatusCode();

        var (customer, _, _) = await server.SignedInCustomer(guest);

        var cart = await (await customer.GetAsync("/api/v1/cart")).Read<JsonElement>();
        var line = Assert.Single(cart.GetProperty("lines").EnumerateArray());
        Assert.Equal((sku, 2), (line.GetProperty("sku").GetString(), line.GetProperty("quantity").GetInt32()));
        var guestCart = await (await guest.GetAsync("/api/v1/cart")).Read<JsonElement>();
        Assert.Empty(guestCart.GetProperty("lines").EnumerateArray());
    }
}
