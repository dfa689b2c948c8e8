using System.Collections.Concurrent;
using System.Text.Json;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Commerce.Cluster.Tests;

/// <summary>
/// The shop's promise under a real crash: storefront workers check customers out over HTTP through
/// two silo processes (carts, order sagas, inventory, payments against the built-in test-mode gateway),
/// and the silo holding the SKU is killed with SIGKILL in the middle. No flushing, no hand-off: whatever
/// it had not committed is gone, and its sagas, holds and reminders move to the survivor.
/// </summary>
public sealed class CheckoutKillTests(ITestOutputHelper output)
{
    private const int Customers = 40;
    private const int Workers = 8;
    private const int Stock = 200;
    private const decimal Price = 30m;

    /// <summary>Sagas resume from their reminder within a second or two instead of the default minute.</summary>
    private static readonly Dictionary<string, string> QuickSagas = new()
    {
        ["Commerce__Reminders__MinimumReminderPeriod"] = "00:00:01",
        ["Commerce__Orders__SagaRetryInterval"] = "00:00:01",
    };

    /// <summary>One HTTP answer a storefront got.</summary>
    private sealed record Answer(int Status, string? ContentType, string? Code, bool RetryAfter, string? OrderId, string Body);

    [Fact]
    public async Task Killing_the_skus_silo_mid_checkout_charges_no_one_twice_leaves_nothing_held_and_never_answers_a_bare_500()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var silos = await SiloGroup.StartAsync(database.ConnectionString, database.DataSource, "checkout", 2, ClusterHarness.SiloSettings.With(QuickSagas));
        await using var client = await ClusterClient.StartAsync(database.ConnectionString);
        using var shop = new HttpShop();
        var first = silos[0].BaseAddress;
        var operatorToken = await shop.OperatorTokenAsync(first);
        const string sku = "checkout-lamp";
        await shop.CreateSkuAsync(first, operatorToken, sku, Price, Stock);
        var victim = silos.Hosting(await client.HostOfAsync(client.Grains.GetGrain<ISkuInventoryGrain>(sku)));
        var survivor = silos.Silos.Single(s => s != victim);

        // Customers sign up at either silo, each with one unit in the cart; every fourth card is declined.
        var customers = new (string Token, string Card)[Customers];
        await Parallel.ForEachAsync(Enumerable.Range(0, Customers), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var at = silos[i % 2].BaseAddress;
            var (_, token, _) = await shop.SignedInCustomerAsync(at);
            await shop.SetCartLineAsync(at, token, sku, 1);
            customers[i] = (token, i % 4 == 3 ? HttpShop.DeclinedCard : HttpShop.GoodCard);
        });

        // Storefront workers check customers out one after another, alternating gateways. A checkout that
        // gets no final answer (a 503, a 202 while it runs, a connection the dead silo dropped) is sent
        // again with the same Idempotency-Key, to the other gateway first, as a load balancer would.
        var answers = new ConcurrentQueue<Answer>();
        var finals = new ConcurrentDictionary<int, Answer>();
        var transportErrors = 0;
        var quarterAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var next = -1;
        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < Customers; i = Interlocked.Increment(ref next))
            {
                var deadline = DateTime.UtcNow + ClusterHarness.Patience;
                for (var attempt = 0; ; attempt++)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"Checkout {i} got no final answer within {ClusterHarness.Patience.TotalSeconds:0} s.");
                    var at = silos[(i + attempt) % 2];
                    Answer answer;
                    try
                    {
                        answer = await Read(await shop.PlaceOrderAsync(at.BaseAddress, customers[i].Token, $"checkout-{i}", customers[i].Card));
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref transportErrors); // the killed silo's connections: not an answer
                        continue;
                    }
                    answers.Enqueue(answer);
                    if (answer.Status is 201 or 402 or 409)
                    {
                        finals[i] = answer;
                        break;
                    }
                    await Task.Delay(answer.Status == 202 ? 100 : 200); // a storefront polls a running checkout and backs off a 503
                }
                if (finals.Count >= Customers / 4)
                {
                    quarterAnswered.TrySetResult();
                }
            }
        })).ToList();
        await quarterAnswered.Task.WaitAsync(ClusterHarness.Patience);
        var inFlight = Customers - finals.Count;
        await victim.KillAsync();
        output.Report($"killed {victim.Name}, host of {sku}, with {inFlight} of {Customers} checkouts not finally answered");
        await Task.WhenAll(workers);

        // Every HTTP answer was a success, a 202, or a problem with a code (503s with Retry-After): never a bare 500.
        var byKind = answers.GroupBy(a => $"{a.Status} {a.Code ?? "-"}").Select(g => $"{g.Count()} x {g.Key}");
        output.Report($"HTTP answers: {string.Join(", ", byKind)}; {transportErrors} requests found no process (the killed silo)");
        var bad = answers.Where(a => a.Status is not (201 or 202)
            && (a.ContentType != "application/problem+json" || a.Code is null || a.Status == 503 && (!a.RetryAfter || a.Code != "temporarily-unavailable"))).ToList();
        Assert.True(bad.Count == 0, "Answers without a problem code (or a 503 without Retry-After): " + string.Join("\n", bad.Take(5)));
        Assert.DoesNotContain(answers, a => a.Status == 409);
        Assert.All(answers.Where(a => a.Status == 503), a => Assert.NotNull(a.OrderId)); // a checkout in doubt names its order

        // Every saga finishes (the survivor resumes the victim's from their reminders): confirmed and charged
        // exactly once, or cancelled with nothing charged.
        var orders = new Dictionary<int, OrderView>();
        foreach (var (i, answer) in finals)
        {
            Assert.NotNull(answer.OrderId);
            var order = client.Grains.GetGrain<IOrderGrain>(answer.OrderId);
            orders[i] = await Eventually.Value(() => Eventually.Answered(order.Get), view => view is { InProgress: false },
                $"order {answer.OrderId} settled", ClusterHarness.Patience, view => $"{view?.Status} (in progress: {view?.InProgress})") ?? throw new InvalidOperationException();
            Assert.Equal(answer.Status == 201 ? OrderStatus.Confirmed : OrderStatus.Cancelled, orders[i].Status);
        }
        Assert.Equal(Customers, orders.Count);
        var confirmed = orders.Values.Count(o => o.Status == OrderStatus.Confirmed);
        Assert.Equal(Customers - Customers / 4, confirmed); // every good card paid, every declined one cancelled
        var charges = await GatewayCharges(database.DataSource);
        foreach (var order in orders.Values)
        {
            var mine = charges.GetValueOrDefault(order.OrderId) ?? [];
            if (order.Status == OrderStatus.Confirmed)
            {
                var charge = Assert.Single(mine);
                Assert.Equal(("Captured", order.Total.Amount, order.Total.Amount), (charge.Status, charge.Amount, charge.Captured));
            }
            else
            {
                Assert.All(mine, c => Assert.True(c.Captured == 0 && c.Status is "Voided" or "Declined", $"{order.OrderId} was charged: {c}"));
            }
        }

        // Stock is exact and nothing is held.
        var inventory = client.Grains.GetGrain<ISkuInventoryGrain>(sku);
        Assert.Equal((Stock - confirmed, 0), await shop.StockAsync(survivor.BaseAddress, operatorToken, sku));
        Assert.Empty(await Eventually.Answered(inventory.GetHolds));

        // The same key finishes each checkout once: its saved answer, no second order or charge.
        foreach (var (i, answer) in finals)
        {
            var replay = await Read(await shop.PlaceOrderAsync(survivor.BaseAddress, customers[i].Token, $"checkout-{i}", customers[i].Card));
            Assert.Equal((answer.Status, answer.OrderId), (replay.Status, replay.OrderId));
        }
        Assert.Equal(charges.Values.Sum(c => c.Count), (await GatewayCharges(database.DataSource)).Values.Sum(c => c.Count));
        output.Report($"checkout under kill -9: {confirmed} confirmed and charged once, {Customers - confirmed} cancelled with nothing charged; " +
            $"{Stock - confirmed} units on hand, none held; every retry with the same key gave the saved answer");
    }

    private static async Task<Answer> Read(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            string? code = null;
            string? orderId = null;
            if (body.StartsWith('{'))
            {
                var json = JsonDocument.Parse(body).RootElement;
                code = json.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                orderId = json.TryGetProperty("orderId", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
            }
            return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, code,
                response.Headers.RetryAfter is not null, orderId, body.Length > 300 ? body[..300] : body);
        }
    }

    /// <summary>The built-in payment gateway's own books, by order.</summary>
    private static async Task<Dictionary<string, List<(string Status, decimal Amount, decimal Captured)>>> GatewayCharges(NpgsqlDataSource database)
    {
        var charges = new Dictionary<string, List<(string, decimal, decimal)>>();
        await using var command = database.CreateCommand("SELECT reference, status, amount, captured FROM test_gateway_charges");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var reference = reader.GetString(0);
            if (!charges.TryGetValue(reference, out var list))
            {
                charges[reference] = list = [];
            }
            list.Add((reader.GetString(1), reader.GetDecimal(2), reader.GetDecimal(3)));
        }
        return charges;
    }
}
