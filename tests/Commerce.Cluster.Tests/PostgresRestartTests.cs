using System.Collections.Concurrent;
using System.Text.Json;
using Commerce.Grains.Inventory;
using Commerce.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Commerce.Cluster.Tests;

/// <summary>
/// PostgreSQL restarted under load (<c>pg_ctl restart -m fast</c>: every connection dropped, open
/// transactions rolled back) on a server of this test's own: the silos ride it out without a restart,
/// callers see only transient faults while it is away (over HTTP: 503 with Retry-After, never a
/// bare 500), and the books stay exact.
/// </summary>
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_postgres_restart_under_load_keeps_the_books_exact_and_the_cluster_serves_again_without_a_silo_restart()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("commerce");
        await using var database = NpgsqlDataSource.Create(connectionString);
        // Two silos, and a gateway-only process whose every grain call crosses to a silo.
        await using var silos = await SiloGroup.StartAsync(connectionString, database,
            Enumerable.Range(0, 2).Select(i => ($"pg-restart-{i}", new SiloProcessOptions { Settings = ClusterHarness.SiloSettings })));
        await using var gateway = await SiloProcess.StartAsync(connectionString, "pg-restart-gateway", new SiloProcessOptions { GatewayOnly = true, Settings = ClusterHarness.SiloSettings });
        await using var client = await ClusterClient.StartAsync(connectionString);
        var plan = new StockPlan("pg", skus: 200, unitsEach: 3, hotUnits: 1_000_000);
        await plan.ReceiveAsync(client.Grains, database);
        var processes = silos.Silos.Append(gateway).Select(s => s.ProcessId).ToList();

        await using var load = new ReservationLoad(client.Grains, plan.Small, plan.Hot);
        load.Start(32);
        // An operator receiving stock over HTTP through the gateway-only process, one receipt after another,
        // each with its own Idempotency-Key, sent again with the same key until it gets a final answer.
        using var shop = new HttpShop();
        var operatorToken = await shop.OperatorTokenAsync(gateway.BaseAddress);
        const string receivedSku = "pg-receipts";
        await shop.CreateSkuAsync(gateway.BaseAddress, operatorToken, receivedSku, 5m, stock: 0);
        var answers = new ConcurrentQueue<(int Status, string? Code, bool RetryAfter, string Body)>();
        var receipts = 0;
        using var stopReceipts = new CancellationTokenSource();
        var receiving = Task.Run(async () =>
        {
            for (var k = 0; !stopReceipts.IsCancellationRequested; k++)
            {
                var deadline = DateTime.UtcNow + ClusterHarness.Patience;
                while (true)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"Receipt {k} got no final answer.");
                    HttpResponseMessage response;
                    try
                    {
                        response = await shop.SendAsync(gateway.BaseAddress, HttpMethod.Post, $"/api/v1/inventory/{receivedSku}/receipts", operatorToken,
                            new { warehouseId = "main", quantity = 1 }, idempotencyKey: $"receipt-{k}");
                    }
                    catch (HttpRequestException)
                    {
                        continue;
                    }
                    using (response)
                    {
                        var body = await response.Content.ReadAsStringAsync();
                        var code = body.StartsWith('{') && JsonDocument.Parse(body).RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
                        answers.Enqueue(((int)response.StatusCode, code, response.Headers.RetryAfter is not null, body.Length > 300 ? body[..300] : body));
                        if (response.IsSuccessStatusCode)
                        {
                            receipts++;
                            break;
                        }
                    }
                    await Task.Delay(20); // the operator's client backs off before sending it again
                }
            }
        });
        await load.WaitForAcknowledgedAsync(1000);

        var restartAt = load.Now;
        await postgres.RestartAsync();
        var upAgain = load.Now;
        database.Clear(); // the test's own idle connections died with the server
        // Reservations succeed again: one first sent once the server is back, retried with its id until answered.
        var first = await load.ReserveAsync(plan.Hot, "first-after-restart", maxBackoff: TimeSpan.FromMilliseconds(50));
        Assert.True(first.Succeeded, first.Result.Message);
        var serving = load.Now;
        await load.WaitForMoreAsync(1000);
        var end = load.Now;
        await load.StopAsync();
        await stopReceipts.CancelAsync();
        await receiving;

        // The same processes serve: nothing was restarted, and both silos are still Active members.
        Assert.Equal(processes, silos.Silos.Append(gateway).Select(s => s.ProcessId));
        Assert.All(silos.Silos.Append(gateway), s => Assert.False(s.HasExited, $"{s.Name} exited"));
        await Membership.WaitForActiveAsync(database, silos.Silos);
        foreach (var process in silos.Silos.Append(gateway))
        {
            // (A health check that meets a pooled connection the restart broke answers 503 once.)
            await Eventually.True(() => process.IsHealthyAsync(), $"{process.Name} healthy again", ClusterHarness.Patience);
        }
        Assert.NotNull(await client.Grains.GetGrain<ISkuInventoryGrain>(plan.Hot).GetStock());

        var (longest, attempts) = load.LongestWait(restartAt, end);
        output.Report($"PostgreSQL restart: pg_ctl restart -m fast took {(upAgain - restartAt).TotalMilliseconds:0} ms; a reservation sent after it was answered " +
            $"{(serving - upAgain).TotalMilliseconds:0} ms later ({first}); no reservation at all was answered for {load.LongestSilence(restartAt, end).TotalMilliseconds:0} ms; " +
            $"the longest any caller waited: {longest.TotalMilliseconds:0} ms ({attempts} attempts)");
        output.Report(load.Describe());
        output.Report($"HTTP through the gateway-only process: {receipts} receipts; answers: " +
            string.Join(", ", answers.GroupBy(a => $"{a.Status} {a.Code ?? "-"}").Select(g => $"{g.Count()} x {g.Key}")));
        output.Report(await InventoryAudit.VerifyAsync(database, plan, load));
        // Each receipt counted once, whatever its requests were answered.
        Assert.Equal((receipts, 0), await shop.StockAsync(gateway.BaseAddress, operatorToken, receivedSku));
        var bare = answers.Where(a => a.Status is < 200 or >= 300 && (a.Code is null || a.Status == 503 && (!a.RetryAfter || a.Code != "temporarily-unavailable"))).ToList();
        Assert.True(bare.Count == 0, $"{bare.Count} HTTP answer(s) during the restart had no problem code (or were a 503 without Retry-After): " + string.Join("\n", bare.Take(3)));
        load.AssertEveryFailureWasTransient();
    }
}
