using System.Net.Http.Headers;
using System.Net.Http.Json;
using Commerce.Runtime;
using Commerce.Testing.Postgres;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway.Tests;

/// <summary>
/// The real silo host (its Program) on Kestrel at 127.0.0.1 on a free port, on a fresh PostgreSQL
/// database: tests talk to it over real HTTP, the SignalR test with a real node client.
/// </summary>
public class GatewayServer : IAsyncLifetime
{
    public const string OperatorKey = "test-operator-key";

    private PostgresTestDatabase? _database;
    private WebApplicationFactory<Program>? _factory;
    private string? _operatorToken;

    /// <summary>Settings beyond the defaults below; a derived fixture changes them.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Commerce:Postgres:ConnectionString"] = _database.ConnectionString,
            ["Commerce:Cluster:Enabled"] = "false",
            ["Commerce:Operators:BootstrapKey"] = OperatorKey,
            ["Commerce:Silo:ReminderPollInterval"] = "00:00:00.100",
            ["Commerce:Silo:MinimumReminderPeriod"] = "00:00:00.100",
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
            ["Commerce:RateLimits:AccountsPerAddress:PermitLimit"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
            // A free port chosen by the operating system, so that servers of parallel test classes never collide.
            web.UseUrls("http://127.0.0.1:0");
        });
        _factory.UseKestrel();
        _factory.StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
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
