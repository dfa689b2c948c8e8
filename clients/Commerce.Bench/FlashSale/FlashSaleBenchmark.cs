using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Bench.Harness;
using Commerce.Testing;
using Npgsql;

namespace Commerce.Bench.FlashSale;

/// <summary>One flash-sale run: one JSON line on stdout.</summary>
public sealed record FlashSaleResult(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("approach")] string Approach,
    [property: JsonPropertyName("durable")] bool Durable,
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("buyers")] int Buyers,
    [property: JsonPropertyName("units")] int Units,
    [property: JsonPropertyName("sell_out_ms")] double SellOutMs,
    [property: JsonPropertyName("crowd_seconds")] double CrowdSeconds,
    [property: JsonPropertyName("http_requests_per_sec")] double HttpRequestsPerSec,
    [property: JsonPropertyName("purchase_p50_ms")] double PurchaseP50Ms,
    [property: JsonPropertyName("purchase_p99_ms")] double PurchaseP99Ms,
    [property: JsonPropertyName("attempted")] long Attempted,
    [property: JsonPropertyName("succeeded")] long Succeeded,
    [property: JsonPropertyName("oversold")] long Oversold,
    [property: JsonPropertyName("lost")] long Lost,
    [property: JsonPropertyName("errors")] long Errors)
{
    /// <summary>The HTTP server process's CPU (product silo or baseline app) while the crowd ran, in percent of one core (from /proc).</summary>
    [JsonPropertyName("server_cpu_pct")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ServerCpuPercent { get; init; }
}

/// <summary>
/// <c>flash-sale</c>: <c>buyers</c> simulated buyers, <c>clients</c> at a time, each doing what the
/// storefront does over HTTP — get an anonymous customer token, join the sale's queue, poll its place
/// until admitted (or sold out), buy one unit with the purchase token and an Idempotency-Key. Against
/// the product (a silo process with the gateway, the sale in a FlashSaleGrain) and against the Redis
/// baseline app (<see cref="RedisFlashSaleApp"/>). Afterwards the store's own records are read:
/// oversold = units recorded beyond the pool, lost = acknowledged purchases missing from the records.
/// </summary>
internal static class FlashSaleBenchmark
{
    public static readonly string[] Approaches = ["grain", "redis-lua-always"];
    private const string SaleId = "bench-sale";
    private const string Sku = "FLASH-1";

    public static async Task<int> RunAsync(int seconds, int clients, IReadOnlyList<string> approaches, int buyers, int units, BenchEnvironment environment)
    {
        var results = new List<FlashSaleResult>();
        foreach (var name in approaches.Count == 0 ? Approaches : approaches)
        {
            Report.Progress($"== flash-sale / {name}: {buyers:N0} buyers ({clients} at a time) for {units:N0} units");
            var result = name switch
            {
                "grain" => await RunGrainAsync(clients, buyers, units, environment),
                "redis-lua-always" => await RunRedisAsync(name, true, environment.RequireRedis("always"), clients, buyers, units),
                "redis-lua-everysec" => await RunRedisAsync(name, false, environment.RequireRedis("everysec"), clients, buyers, units),
                _ => throw new ArgumentException($"Unknown flash-sale approach '{name}' (known: grain, redis-lua-always, redis-lua-everysec)."),
            };
            Report.Line(result);
            results.Add(result);
        }
        Report.Progress("");
        Report.Progress($"{"approach",-20} {"durable",-7} {"buyers",8} {"sell-out ms",11} {"crowd s",8} {"req/s",8} {"p50 ms",8} {"p99 ms",8} {"bought",7} {"oversold",8} {"lost",5} {"server CPU",10}");
        foreach (var r in results)
        {
            Report.Progress($"{r.Approach,-20} {(r.Durable ? "yes" : "no"),-7} {r.Buyers,8:N0} {r.SellOutMs,11:N0} {r.CrowdSeconds,8:0.0} {r.HttpRequestsPerSec,8:N0} {r.PurchaseP50Ms,8:0.##} {r.PurchaseP99Ms,8:0.##} {r.Succeeded,7:N0} {r.Oversold,8} {r.Lost,5} {(r.ServerCpuPercent is { } cpu ? $"{cpu:0}%" : ""),10}");
        }
        return Report.CheckFailed ? 1 : 0;
    }

    private static async Task<FlashSaleResult> RunGrainAsync(int clients, int buyers, int units, BenchEnvironment environment)
    {
        var postgres = environment.RequirePostgres();
        await BenchDatabase.ResetAsync(postgres);
        // A crowd from one address must not hit the per-address limits; the benchmark signs in as
        // operator to set the sale up.
        var settings = new Dictionary<string, string>();
        foreach (var rule in new[] { "JoinPerAddress", "PurchasePerAddress", "JoinPerCustomer", "PurchasePerCustomer" })
        {
            settings[$"Commerce__RateLimits__{rule}__PermitLimit"] = "1000000000";
            settings[$"Commerce__RateLimits__{rule}__Window"] = "00:00:10";
        }
        await using var silo = await SiloProcess.StartAsync(postgres, "bench-flash-sale", settings: BenchSiloSettings.With(settings));
        using var http = Http(silo.HttpPort, clients);
        using var operators = await OperatorClient.SignInAsync(silo.HttpPort);
        await BenchDatabase.AddToCatalogAsync(postgres, [Sku]);

        using (var receipt = Request(HttpMethod.Post, $"/api/v1/inventory/{Sku}/receipts", token: null, new { warehouseId = "main", quantity = units * 10 }))
        {
            receipt.Headers.Add("Idempotency-Key", "bench-stock");
            using var received = await operators.SendAsync(receipt);
            if (!received.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Receiving stock failed: {(int)received.StatusCode} {await received.Content.ReadAsStringAsync()}");
            }
        }
        var now = DateTimeOffset.UtcNow;
        using (var create = Request(HttpMethod.Post, "/api/v1/flash-sales", token: null, new
        {
            id = SaleId, sku = Sku, units, price = new { amount = 9.99m, currency = "EUR" },
            startsAt = now.AddSeconds(-1), endsAt = now.AddHours(1), perCustomerLimit = 1,
            admissionRatePerSecond = 100_000, tokenLifetimeSeconds = 300,
        }))
        {
            using var created = await operators.SendAsync(create);
            if (!created.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Creating the sale failed: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            }
        }
        using (var start = Request(HttpMethod.Post, $"/api/v1/flash-sales/{SaleId}/start", token: null))
        {
            using var started = await operators.SendAsync(start); // already open when its start time passed: a 409 is fine
        }

        var cpuBefore = ProcessCpu.Read(silo.ProcessId);
        var crowd = await Crowd.RunAsync(http, SaleId, clients, buyers, units);
        var serverCpu = ProcessCpu.PercentOfOneCore(cpuBefore, ProcessCpu.Read(silo.ProcessId), crowd.Elapsed);
        Report.Progress($"  silo process CPU during the crowd: {serverCpu:0}% of one core");

        // The store's own records: the sale's stored state and its purchase journal rows, where every
        // acknowledged purchase must be (a purchase is answered once it is committed there; its units
        // stay in the sale's allocation until paid, so these are the whole record).
        await using var database = NpgsqlDataSource.Create(postgres);
        var (storedSold, storedPurchases) = await StoredSaleAsync(database);
        var lost = crowd.Purchases.Count(p => !storedPurchases.Contains(p));
        Report.Progress($"  records: sale state says {storedSold:N0} sold and holds {storedPurchases.Count:N0} purchases");
        var oversold = Math.Max(0, Math.Max(storedSold, storedPurchases.Count) - units);
        return Finish("grain", true, clients, buyers, units, crowd, oversold, lost) with { ServerCpuPercent = Round(serverCpu) };
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 1) : null;

    /// <summary>The sale's stored records: units sold (its state) and the purchase ids of its purchase journal rows (committed with the state).</summary>
    private static async Task<(long Sold, HashSet<string> Purchases)> StoredSaleAsync(NpgsqlDataSource database)
    {
        await using var sold = database.CreateCommand(
            "SELECT (payload->>'unitsSold')::bigint FROM grain_state WHERE grain_type = 'FlashSale' AND grain_key = $1 AND state_name = 'sale'");
        sold.Parameters.Add(new NpgsqlParameter { Value = SaleId });
        var unitsSold = await sold.ExecuteScalarAsync() as long? ?? throw new InvalidOperationException($"No stored state for sale {SaleId}.");
        await using var purchased = database.CreateCommand(
            "SELECT payload->>'purchaseId' FROM grain_journal WHERE grain_type = 'FlashSale' AND grain_key = $1 AND state_name = 'sale' AND kind = 'purchase'");
        purchased.Parameters.Add(new NpgsqlParameter { Value = SaleId });
        var purchases = new HashSet<string>(StringComparer.Ordinal);
        var rows = 0;
        await using (var reader = await purchased.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                purchases.Add(reader.GetString(0));
                rows++;
            }
        }
        if (rows != purchases.Count)
        {
            Report.Fail($"flash-sale/grain: {rows - purchases.Count} purchases recorded twice in the sale's journal");
        }
        return (unitsSold, purchases);
    }

    private static async Task<FlashSaleResult> RunRedisAsync(string name, bool durable, string redisEndpoint, int clients, int buyers, int units)
    {
        var port = SiloProcess.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(FlashSaleBenchmark).Assembly.Location, "redis-flash-sale-app", "--urls", $"http://127.0.0.1:{port}", "--redis", redisEndpoint },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_gcServer"] = "0"; // as the silo process
        using var app = Process.Start(start)!;
        var output = new ConcurrentQueue<string>();
        app.OutputDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        app.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var http = Http(port, clients);
            await WaitHealthyAsync(http, app, output);
            (await http.PostAsync($"/bench/sales/{SaleId}?units={units}", null)).EnsureSuccessStatusCode();
            var cpuBefore = ProcessCpu.Read(app.Id);
            var crowd = await Crowd.RunAsync(http, SaleId, clients, buyers, units);
            var serverCpu = ProcessCpu.PercentOfOneCore(cpuBefore, ProcessCpu.Read(app.Id), crowd.Elapsed);
            Report.Progress($"  baseline app process CPU during the crowd: {serverCpu:0}% of one core");

            using var redis = await Inventory.RedisLuaApproach.ConnectAsync(redisEndpoint);
            var db = redis.GetDatabase();
            var ledger = await db.HashGetAllAsync(RedisFlashSaleApp.Ledger(SaleId));
            var recorded = ledger.Select(e => (string)e.Value!).ToHashSet(StringComparer.Ordinal);
            var remaining = (long)await db.HashGetAsync(RedisFlashSaleApp.Sale(SaleId), "remaining");
            var lost = crowd.Purchases.Count(p => !recorded.Contains(p));
            Report.Progress($"  records: {remaining} units left in the sale hash, {recorded.Count:N0} purchases in the ledger hash");
            return Finish(name, durable, clients, buyers, units, crowd, oversold: Math.Max(0, Math.Max(recorded.Count, units - remaining) - units), lost)
                with { ServerCpuPercent = Round(serverCpu) };
        }
        finally
        {
            if (app.HasExited || Report.CheckFailed)
            {
                Report.Progress($"  baseline app {(app.HasExited ? $"exited with code {app.ExitCode}" : "still running")}; its last output:");
                foreach (var line in output.TakeLast(30))
                {
                    Report.Progress("    " + line);
                }
            }
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
                await app.WaitForExitAsync();
            }
        }
    }

    private static FlashSaleResult Finish(string name, bool durable, int clients, int buyers, int units, Crowd crowd, long oversold, long lost)
    {
        var latencies = crowd.PurchaseLatencies.ToArray();
        Array.Sort(latencies);
        var result = new FlashSaleResult("flash-sale", name, durable, clients, buyers, units,
            Math.Round(crowd.SellOut.TotalMilliseconds), Math.Round(crowd.Elapsed.TotalSeconds, 1), Math.Round(crowd.Requests / crowd.Elapsed.TotalSeconds),
            LoadRun.Percentile(latencies, 0.50), LoadRun.Percentile(latencies, 0.99),
            crowd.PurchaseAttempts, crowd.Purchases.Count, oversold, lost, crowd.Errors);
        Report.Progress($"  {crowd.Purchases.Count:N0} purchases acknowledged, sold out after {result.SellOutMs:N0} ms, crowd done in {result.CrowdSeconds} s " +
            $"({crowd.Requests:N0} HTTP requests, {result.HttpRequestsPerSec:N0}/s), purchase p50 {result.PurchaseP50Ms} ms p99 {result.PurchaseP99Ms} ms, {crowd.Errors} errors{(crowd.FirstError is null ? "" : " (first: " + crowd.FirstError + ")")}");
        if (crowd.Purchases.Count != units)
        {
            Report.Fail($"flash-sale/{name}: {crowd.Purchases.Count} purchases acknowledged for {units} units");
        }
        if (oversold > 0 || lost > 0)
        {
            Report.Fail($"flash-sale/{name}: oversold {oversold}, lost {lost}");
        }
        return result;
    }

    private static HttpClient Http(int port, int clients) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = clients + 8,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return request;
    }

    internal static async Task<string> TokenAsync(HttpClient http, string path, object? body = null)
    {
        using var response = body is null ? await http.PostAsync(path, null) : await http.PostAsJsonAsync(path, body);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        return document.RootElement.GetProperty("accessToken").GetString()!;
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process app, ConcurrentQueue<string> output)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (app.HasExited)
            {
                throw new InvalidOperationException($"The baseline app exited with code {app.ExitCode}: {string.Join('\n', output)}");
            }
            try
            {
                if ((await http.GetAsync("/health", timeout.Token)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>The crowd: buyers processed <c>clients</c> at a time, every step over HTTP.</summary>
    private sealed class Crowd
    {
        public readonly ConcurrentBag<string> Purchases = [];
        public readonly ConcurrentBag<long> PurchaseLatencies = [];
        public long Requests;
        public long PurchaseAttempts;
        public long Errors;
        public string? FirstError;
        public TimeSpan SellOut;
        public TimeSpan Elapsed;

        public static async Task<Crowd> RunAsync(HttpClient http, string saleId, int clients, int buyers, int units)
        {
            var crowd = new Crowd();
            var next = -1;
            var stopwatch = Stopwatch.StartNew();
            using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) < buyers && !patience.IsCancellationRequested)
                {
                    try
                    {
                        await crowd.BuyAsync(http, saleId, stopwatch, units, patience.Token);
                    }
                    catch (Exception error) when (!patience.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref crowd.Errors);
                        Interlocked.CompareExchange(ref crowd.FirstError, $"{error.GetType().Name}: {error.Message}", null);
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers);
            crowd.Elapsed = stopwatch.Elapsed;
            if (patience.IsCancellationRequested)
            {
                Report.Fail("flash-sale: the crowd did not finish within 5 minutes");
            }
            return crowd;
        }

        private async Task BuyAsync(HttpClient http, string saleId, Stopwatch clock, int units, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Requests);
            var token = await TokenAsync(http, "/api/v1/customers/anonymous");

            Interlocked.Increment(ref Requests);
            using (var join = Request(HttpMethod.Post, $"/api/v1/flash-sales/{saleId}/queue", token))
            using (var joined = await http.SendAsync(join, cancellationToken))
            {
                if (joined.StatusCode == HttpStatusCode.Conflict)
                {
                    return; // sold out (or over): this buyer is done
                }
                joined.EnsureSuccessStatusCode();
            }

            string? purchaseToken = null;
            var waitingSince = clock.Elapsed;
            while (purchaseToken is null)
            {
                if (clock.Elapsed - waitingSince > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException("a buyer waited in the queue for more than 60 s");
                }
                Interlocked.Increment(ref Requests);
                using var poll = Request(HttpMethod.Get, $"/api/v1/flash-sales/{saleId}/queue/me", token);
                using var place = await http.SendAsync(poll, cancellationToken);
                if (place.StatusCode == HttpStatusCode.Conflict)
                {
                    return;
                }
                place.EnsureSuccessStatusCode();
                using var document = JsonDocument.Parse(await place.Content.ReadAsStreamAsync(cancellationToken));
                var state = document.RootElement.GetProperty("state").GetString();
                if (state == "Admitted" && document.RootElement.GetProperty("token") is { ValueKind: JsonValueKind.Object } admitted)
                {
                    purchaseToken = admitted.GetProperty("value").GetString();
                }
                else if (state != "Waiting")
                {
                    return; // sold out, over, expired
                }
                else
                {
                    await Task.Delay(50, cancellationToken);
                }
            }

            Interlocked.Increment(ref Requests);
            Interlocked.Increment(ref PurchaseAttempts);
            using var buy = Request(HttpMethod.Post, $"/api/v1/flash-sales/{saleId}/purchases", token, new { token = purchaseToken, quantity = 1 });
            buy.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            var started = Stopwatch.GetTimestamp();
            using var bought = await http.SendAsync(buy, cancellationToken);
            var body = await bought.Content.ReadAsStringAsync(cancellationToken);
            PurchaseLatencies.Add(Stopwatch.GetTimestamp() - started);
            if (bought.StatusCode == HttpStatusCode.Created)
            {
                using var document = JsonDocument.Parse(body);
                Purchases.Add(document.RootElement.GetProperty("purchaseId").GetString()!);
                if (Purchases.Count == units)
                {
                    SellOut = clock.Elapsed;
                }
            }
            else if (bought.StatusCode != HttpStatusCode.Conflict)
            {
                throw new InvalidOperationException($"purchase answered {(int)bought.StatusCode}: {body}");
            }
        }
    }
}
