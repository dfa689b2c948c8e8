using System.Net.Http.Headers;
using System.Net.Http.Json;
using Orleans;
using Commerce.Testing.Silo;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway.Tests;

/// <summary>
/// The real silo host (<see cref="SiloServer"/>) with the gateway tests' settings, on a fresh PostgreSQL
/// database: tests talk to it over real HTTP, the SignalR test with a real node client.
/// </summary>
public class GatewayServer : SiloServer
{
    public const string OperatorKey = "test-operator-key";

    private string? _operatorToken;

    /// <summary>Settings beyond the defaults below; a derived fixture changes them.</summary>
    protected virtual IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    protected sealed override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>
            {
                ["Commerce:Operators:BootstrapKey"] = OperatorKey,
                ["Commerce:Reminders:MinimumReminderPeriod"] = "00:00:00.100",
                ["Commerce:Inventory:ExpiryBackstopPeriod"] = "00:00:00.500",
                ["Commerce:FlashSales:TickInterval"] = "00:00:00.020",
                ["Commerce:FlashSales:WakeUpPeriod"] = "00:00:01",
                ["Commerce:RateLimits:JoinPerCustomer:PermitLimit"] = "3",
                ["Commerce:RateLimits:JoinPerCustomer:Window"] = "00:10:00",
                ["Commerce:RateLimits:JoinPerAddress:PermitLimit"] = "100000",
                ["Commerce:RateLimits:JoinPerAddress:Window"] = "00:00:10",
                ["Commerce:RateLimits:PurchasePerCustomer:PermitLimit"] = "20",
                ["Commerce:RateLimits:PurchasePerCustomer:Window"] = "00:10:00",
                ["Commerce:RateLimits:PurchasePerAddress:PermitLimit"] = "100000",
                ["Commerce:RateLimits:PurchasePerAddress:Window"] = "00:00:10",
                ["Commerce:RateLimits:OperatorLoginPerAddress:PermitLimit"] = "1000",
                ["Commerce:RateLimits:CheckoutPerCustomer:PermitLimit"] = "60",
                ["Commerce:RateLimits:CheckoutPerCustomer:Window"] = "00:10:00",
                ["Commerce:RateLimits:CheckoutPerAddress:PermitLimit"] = "100000",
                ["Commerce:RateLimits:AccountsPerAddress:PermitLimit"] = "100000",
            };
            foreach (var (key, value) in ExtraSettings)
            {
                settings[key] = value;
            }
            return settings;
        }
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    /// <summary>A client signed in as a new anonymous customer.</summary>
    public async Task<HttpClient> NewCustomer()
    {
        using var anonymous = Anonymous();
        var response = await anonymous.PostAsync("/api/v1/customers/anonymous", null);
        response.EnsureSuccessStatusCode();
        return WithToken((await response.Content.ReadFromJsonAsync<TokenResponse>())!.AccessToken);
    }

    /// <summary>A client signed in as an operator (the token is fetched once per server).</summary>
    public async Task<HttpClient> Operator()
    {
        if (_operatorToken is null)
        {
            using var anonymous = Anonymous();
            var response = await anonymous.PostAsJsonAsync("/api/v1/operators/token", new { key = OperatorKey });
            response.EnsureSuccessStatusCode();
            _operatorToken = (await response.Content.ReadFromJsonAsync<TokenResponse>())!.AccessToken;
        }
        return WithToken(_operatorToken);
    }

    /// <summary>Registers a new customer account and signs it in; <paramref name="guest"/> is a guest client whose cart the sign-in merges.</summary>
    public async Task<(HttpClient Client, string CustomerId, TokenResponse Tokens)> SignedInCustomer(HttpClient? guest = null)
    {
        var email = $"shopper-{Guid.NewGuid():N}@example.com";
        using var anonymous = Anonymous();
        var account = await (await anonymous.PostAsJsonAsync("/api/v1/accounts", new { email, password = "correct horse" })).Content.ReadFromJsonAsync<AccountCreated>();
        var login = await (guest ?? anonymous).PostAsJsonAsync("/api/v1/accounts/login", new { email, password = "correct horse" });
        login.EnsureSuccessStatusCode();
        var tokens = (await login.Content.ReadFromJsonAsync<TokenResponse>())!;
        return (WithToken(tokens.AccessToken), account!.AccountId, tokens);
    }

    public HttpClient WithToken(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public sealed record TokenResponse(string AccessToken, long ExpiresIn, string RefreshToken);

    public sealed record AccountCreated(string AccountId, string Email);
}
