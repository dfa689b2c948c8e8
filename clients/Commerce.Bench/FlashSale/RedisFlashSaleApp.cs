using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Commerce.Bench.FlashSale;

/// <summary>
/// The baseline the grain sale is measured against: seed 004's flash sale on Redis, served by the
/// same framework as the product gateway (ASP.NET Core minimal APIs, the same bearer tokens, the
/// same routes and status codes), in a process of its own. Queue: a sorted set by ticket; admission:
/// a 100 ms loop moving the head of the queue to purchase permissions (SETEX, 300 s), no more than
/// the units left; purchase: check the permission, the seeds' Lua HGET/HINCRBY on the sale's
/// remaining units, then the purchase record (the sale's ledger, a hash) and the permission's removal.
/// Lives in the benchmark project on purpose: it is a yardstick, not a product feature.
/// </summary>
internal static class RedisFlashSaleApp
{
    private const string CustomerIdClaim = "customer_id";

    /// <summary>The seeds' check-and-decrement (seed 004), unchanged.</summary>
    private const string DecrementScript = """
        local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining'))
        local quantity = tonumber(ARGV[1])
        if remaining >= quantity then
            redis.call('HINCRBY', KEYS[1], 'remaining', -quantity)
            return remaining - quantity
        else
            return -1
        end
        """;

    /// <summary>Admits up to ARGV[1] customers from the head of the queue, never more than the units not yet promised.</summary>
    private const string AdmitScript = """
        local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining'))
        local promised = redis.call('SCARD', KEYS[3])
        local n = math.min(tonumber(ARGV[1]), remaining - promised)
        if n <= 0 then return 0 end
        local customers = redis.call('ZRANGE', KEYS[2], 0, n - 1)
        for _, customer in ipairs(customers) do
            redis.call('ZREM', KEYS[2], customer)
            redis.call('SADD', KEYS[3], customer)
            redis.call('SET', ARGV[2] .. customer, ARGV[3] .. customer, 'EX', 300)
        end
        return #customers
        """;

    public static async Task<int> RunAsync(string urls, string redisEndpoint)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls(urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var redis = await Inventory.RedisLuaApproach.ConnectAsync(redisEndpoint);
        builder.Services.AddSingleton<IConnectionMultiplexer>(redis);
        builder.Services.AddAuthentication(BearerTokenDefaults.AuthenticationScheme).AddBearerToken();
        builder.Services.AddAuthorizationBuilder().AddPolicy("customer", policy => policy.RequireClaim(CustomerIdClaim));
        builder.Services.AddHostedService<Admission>();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();

        var db = redis.GetDatabase();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var decrement = await server.ScriptLoadAsync(DecrementScript);

        app.MapGet("/health", () => Results.Ok("healthy"));
        app.MapPost("/api/v1/customers/anonymous", () => TypedResults.SignIn(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(CustomerIdClaim, "anon-" + Guid.NewGuid().ToString("N"))], BearerTokenDefaults.AuthenticationScheme)),
            authenticationScheme: BearerTokenDefaults.AuthenticationScheme));

        // Operator: a sale of <units> units (no auth: only the benchmark talks to this app, on loopback).
        app.MapPost("/bench/sales/{saleId}", async (string saleId, int units) =>
        {
            await db.KeyDeleteAsync([Sale(saleId), Queue(saleId), Promised(saleId), Ledger(saleId), Tickets(saleId)]);
            await db.HashSetAsync(Sale(saleId), [new("remaining", units), new("units", units), new("price", "9.99 EUR")]);
            await db.SetAddAsync("sales", saleId);
            return Results.Created($"/api/v1/flash-sales/{saleId}", null);
        });

        var customers = app.MapGroup("/api/v1/flash-sales/{saleId}").RequireAuthorization("customer");
        customers.MapPost("/queue", async (string saleId, ClaimsPrincipal user) =>
        {
            var customer = user.FindFirstValue(CustomerIdClaim)!;
            if ((long)await db.HashGetAsync(Sale(saleId), "remaining") <= 0)
            {
                return SoldOut();
            }
            var ticket = await db.StringIncrementAsync(Tickets(saleId));
            await db.SortedSetAddAsync(Queue(saleId), customer, ticket, When.NotExists);
            var rank = await db.SortedSetRankAsync(Queue(saleId), customer);
            return Results.Ok(new QueuePlace(saleId, customer, rank is null ? "Admitted" : "Waiting", ticket, rank + 1, null, null));
        });
        customers.MapGet("/queue/me", async (string saleId, ClaimsPrincipal user) =>
        {
            var customer = user.FindFirstValue(CustomerIdClaim)!;
            // Queue first, then permission: admission moves a customer from one to the other
            // atomically, so in this order nobody is seen in neither.
            if (await db.SortedSetRankAsync(Queue(saleId), customer) is { } rank)
            {
                return (long)await db.HashGetAsync(Sale(saleId), "remaining") <= 0
                    ? SoldOut()
                    : Results.Ok(new QueuePlace(saleId, customer, "Waiting", null, rank + 1, null, null));
            }
            var permission = await db.StringGetAsync(Permission(saleId, customer));
            if (permission.HasValue)
            {
                return Results.Ok(new QueuePlace(saleId, customer, "Admitted", null, null, new QueueToken((string)permission!, 1), null));
            }
            if (await db.HashGetAsync(Ledger(saleId), customer) is { HasValue: true } bought)
            {
                return Results.Ok(new QueuePlace(saleId, customer, "Purchased", null, null, null, (string)bought!));
            }
            if ((long)await db.HashGetAsync(Sale(saleId), "remaining") <= 0)
            {
                return SoldOut();
            }
            return Results.Ok(new QueuePlace(saleId, customer, "NotQueued", null, null, null, null));
        });
        customers.MapPost("/purchases", async (string saleId, PurchaseInput body, ClaimsPrincipal user, HttpRequest request) =>
        {
            var customer = user.FindFirstValue(CustomerIdClaim)!;
            if (string.IsNullOrEmpty(request.Headers["Idempotency-Key"]) || string.IsNullOrEmpty(body.Token) || body.Quantity is not 1)
            {
                return Results.Problem(statusCode: 400, title: "Idempotency-Key, token and quantity 1 are required.");
            }
            if (await db.HashGetAsync(Ledger(saleId), customer) is { HasValue: true } earlier)
            {
                return Results.Created($"/api/v1/flash-sales/{saleId}/purchases/{earlier}", new PurchaseOutput((string)earlier!, saleId, customer, 1));
            }
            if (await db.StringGetAsync(Permission(saleId, customer)) != body.Token)
            {
                return Results.Problem(statusCode: 409, title: "You must wait in the queue first.", extensions: new Dictionary<string, object?> { ["code"] = "not-admitted" });
            }
            var left = (long)await db.ScriptEvaluateAsync(decrement, [Sale(saleId)], [body.Quantity]);
            if (left < 0)
            {
                return SoldOut();
            }
            var purchaseId = "p" + Guid.NewGuid().ToString("N");
            await db.HashSetAsync(Ledger(saleId), customer, purchaseId);
            await db.KeyDeleteAsync(Permission(saleId, customer));
            await db.SetRemoveAsync(Promised(saleId), customer);
            return Results.Created($"/api/v1/flash-sales/{saleId}/purchases/{purchaseId}", new PurchaseOutput(purchaseId, saleId, customer, 1));
        });

        await app.RunAsync();
        return 0;
    }

    internal static RedisKey Sale(string saleId) => $"flash_sale:{saleId}";

    internal static RedisKey Queue(string saleId) => $"flash_sale:{saleId}:queue";

    internal static RedisKey Promised(string saleId) => $"flash_sale:{saleId}:processing";

    internal static RedisKey Ledger(string saleId) => $"flash_sale:{saleId}:purchases";

    private static RedisKey Tickets(string saleId) => $"flash_sale:{saleId}:tickets";

    private static string PermissionPrefix(string saleId) => $"flash_sale:{saleId}:permission:";

    private static RedisKey Permission(string saleId, string customer) => PermissionPrefix(saleId) + customer;

    private static IResult SoldOut() =>
        Results.Problem(statusCode: 409, title: "Sold out.", extensions: new Dictionary<string, object?> { ["code"] = "sold-out" });

    internal sealed record PurchaseInput(string? Token, int? Quantity);

    internal sealed record QueueToken(string Value, int Quantity);

    internal sealed record QueuePlace(string SaleId, string CustomerId, string State, long? Ticket, long? Position, QueueToken? Token, string? PurchaseId);

    internal sealed record PurchaseOutput(string PurchaseId, string SaleId, string CustomerId, int Quantity);

    /// <summary>Every 100 ms, for every sale, admits customers at 100,000 per second (as the grain sale in the benchmark).</summary>
    private sealed class Admission(IConnectionMultiplexer redis) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var db = redis.GetDatabase();
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    foreach (var sale in await db.SetMembersAsync("sales"))
                    {
                        var saleId = (string)sale!;
                        await db.ScriptEvaluateAsync(AdmitScript, [Sale(saleId), Queue(saleId), Promised(saleId)],
                            [10_000, PermissionPrefix(saleId), "t-" + Guid.NewGuid().ToString("N")[..12] + "-"]);
                    }
                }
                catch (Exception error) when (error is RedisException or TimeoutException)
                {
                    // A slow tick is retried on the next one, as the seed's loop would.
                    Console.Error.WriteLine($"admission tick failed: {error.Message}");
                }
            }
        }
    }
}
