using System.CommandLine;
using Commerce.Bench;
using Commerce.Bench.Dashboard;
using Commerce.Bench.FlashSale;
using Commerce.Bench.Harness;
using Commerce.Bench.Inventory;

// Benchmarks are commands, not tests: deploy/bench provisions PostgreSQL and Redis, builds in
// Release and calls this program. Results go to stdout as JSON lines; progress to stderr.
var seconds = new Option<int>("--seconds") { Description = "Measured seconds per approach (after a short warm-up).", DefaultValueFactory = _ => 10 };
var clients = new Option<int>("--clients") { Description = "Concurrent clients (closed loops).", DefaultValueFactory = _ => 64 };
var approach = new Option<string[]>("--approach") { Description = "Approach to run (repeatable); default: all of the scenario's.", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
var buyers = new Option<int>("--buyers") { Description = "Simulated buyers joining the flash sale.", DefaultValueFactory = _ => 100_000 };
var units = new Option<int>("--units") { Description = "Units in the flash sale.", DefaultValueFactory = _ => 1_000 };
var urls = new Option<string>("--urls") { Description = "Where the baseline app listens.", DefaultValueFactory = _ => "http://127.0.0.1:5099" };
var rounds = new Option<int>("--rounds") { Description = "Rounds of one closed and one open window (dashboard only).", DefaultValueFactory = _ => 10 };
var redis = new Option<string>("--redis") { Description = "The baseline app's Redis (host:port).", Required = true };

var root = new RootCommand("Commerce benchmarks (see docs/benchmarks.md; run them through deploy/bench).");

var runtime = new Command("runtime", "Orleans' hot paths on one silo in this process: local calls, durable writes of one hot grain with and without group commit, the state serializer.") { seconds, clients };
runtime.SetAction(parse => RuntimeBenchmark.RunAsync(parse.GetValue(seconds), parse.GetValue(clients), new BenchEnvironment()));
root.Subcommands.Add(runtime);

var cluster = new Command("cluster", "cross_silo_calls_per_sec (2 Orleans silos in this process on loopback TCP) and failover_ms (kill -9 of a product silo process under load).") { seconds, clients };
cluster.SetAction(parse => ClusterBenchmark.RunAsync(parse.GetValue(seconds), parse.GetValue(clients), new BenchEnvironment()));
root.Subcommands.Add(cluster);

foreach (var scenario in new[] { "hot-sku", "many-sku" })
{
    var command = new Command(scenario, scenario == "hot-sku"
        ? "Every client reserves one unit of the same SKU: grain against PostgreSQL and Redis approaches."
        : "Reservations spread uniformly over 10,000 SKUs: grain against PostgreSQL and Redis approaches.") { seconds, clients, approach };
    command.SetAction(parse => InventoryBenchmark.RunAsync(scenario, parse.GetValue(seconds), parse.GetValue(clients), parse.GetValue(approach) ?? [], new BenchEnvironment()));
    root.Subcommands.Add(command);
}

var flashSale = new Command("flash-sale", "Buyers join one sale through HTTP, get admitted and purchase: the grain sale against a Redis Lua baseline app.") { seconds, clients, approach, buyers, units };
flashSale.SetAction(parse => FlashSaleBenchmark.RunAsync(parse.GetValue(seconds), parse.GetValue(clients), parse.GetValue(approach) ?? [], parse.GetValue(buyers), parse.GetValue(units), new BenchEnvironment()));
root.Subcommands.Add(flashSale);

var dashboard = new Command("dashboard", "What an open operator dashboard costs the hot-sku grain workload: closed and open windows alternating in one run (--seconds per window).") { seconds, clients, rounds };
dashboard.SetAction(parse => DashboardCostBenchmark.RunAsync(parse.GetValue(seconds), parse.GetValue(clients), parse.GetValue(rounds), new BenchEnvironment()));
root.Subcommands.Add(dashboard);

var baseline = new Command("redis-flash-sale-app", "Hosts the baseline flash-sale HTTP app (the seeds' Redis flow); started by the flash-sale benchmark.") { urls, redis };
baseline.SetAction(parse => RedisFlashSaleApp.RunAsync(parse.GetValue(urls)!, parse.GetValue(redis)!));
root.Subcommands.Add(baseline);

var experiment = new Command("experiment") { Hidden = true };
experiment.SetAction(async parse =>
{
    if (Environment.GetEnvironmentVariable("BENCH_SERIALIZER") is not null)
    {
        var doc = new { Id = "cart-1", Lines = Enumerable.Range(0, 5).Select(i => new { Sku = $"SKU-{i}", Quantity = i + 1, UnitPrice = 19.99m + i, Currency = "EUR" }).ToList(), UpdatedAt = DateTimeOffset.UtcNow, Version = 7 };
        var web = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        for (var round = 0; round < 3; round++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew(); long n = 0;
            while (sw.Elapsed < TimeSpan.FromSeconds(2)) { for (var i = 0; i < 1000; i++) { _ = Commerce.Persistence.StateJson.SerializeToUtf8Bytes(doc); } n += 1000; }
            Console.Error.WriteLine($"experiment StateJson serialize only: {n / sw.Elapsed.TotalSeconds:N0}/s");
            sw.Restart(); n = 0;
            while (sw.Elapsed < TimeSpan.FromSeconds(2)) { for (var i = 0; i < 1000; i++) { _ = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(doc, web); } n += 1000; }
            Console.Error.WriteLine($"experiment Web serialize only: {n / sw.Elapsed.TotalSeconds:N0}/s");
            var rec = new ExpState("cart-1", [.. Enumerable.Range(0, 5).Select(i => new ExpLine($"SKU-{i}", i + 1, 19.99m + i, "EUR"))], DateTimeOffset.UtcNow, 7);
            sw.Restart(); n = 0;
            while (sw.Elapsed < TimeSpan.FromSeconds(2)) { for (var i = 0; i < 1000; i++) { _ = Commerce.Persistence.StateJson.Deserialize<ExpState>(Commerce.Persistence.StateJson.SerializeToUtf8Bytes(rec)); } n += 1000; }
            Console.Error.WriteLine($"experiment StateJson record round trip: {n / sw.Elapsed.TotalSeconds:N0}/s");
            var bytes = Commerce.Persistence.StateJson.SerializeToUtf8Bytes(rec);
            sw.Restart(); n = 0;
            while (sw.Elapsed < TimeSpan.FromSeconds(2)) { for (var i = 0; i < 1000; i++) { _ = Commerce.Persistence.StateJson.Deserialize<ExpState>(bytes); } n += 1000; }
            Console.Error.WriteLine($"experiment StateJson record deserialize: {n / sw.Elapsed.TotalSeconds:N0}/s");
        }
        return 0;
    }
    foreach (var x in new[] { "", "a", "d", "t", "adt", "" })
    {
        Environment.SetEnvironmentVariable("BENCH_EXPERIMENT", x);
        await using var silo = await InProcessSilo.StartLocalAsync(null);
        var noop = silo.Grains.GetGrain<INoopGrain>("noop");
        await noop.Noop();
        for (var round = 0; round < 3; round++)
        {
            long count = 0;
            var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + 3 * System.Diagnostics.Stopwatch.Frequency;
            await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () => { long n = 0; while (System.Diagnostics.Stopwatch.GetTimestamp() < deadline) { await noop.Noop(); n++; } Interlocked.Add(ref count, n); })));
            Console.Error.WriteLine($"experiment '{x}' round {round}: {count / 3.0:N0}/s");
        }
    }
    return 0;
});
root.Subcommands.Add(experiment);

var benchSilo = new Command("bench-silo", "Hosts a silo for the bench's own grains (the grain-lean approach); started by the benchmarks.") { Hidden = true };
benchSilo.SetAction(_ => BenchSiloHost.RunAsync());
root.Subcommands.Add(benchSilo);

return await root.Parse(args).InvokeAsync();

internal sealed record ExpLine(string Sku, int Quantity, decimal UnitPrice, string Currency);

internal sealed record ExpState(string Id, List<ExpLine> Lines, DateTimeOffset UpdatedAt, int Version);
