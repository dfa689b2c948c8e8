using System.CommandLine;
using Commerce.Bench;
using Commerce.Bench.Checkout;
using Commerce.Bench.Dashboard;
using Commerce.Bench.FlashSale;
using Commerce.Bench.Harness;
using Commerce.Bench.Import;
using Commerce.Bench.Inventory;
using Commerce.Bench.Profiling;
using Commerce.Bench.Search;

// Benchmarks are commands, not tests: deploy/bench provisions PostgreSQL and Redis, builds in
// Release and calls this program. Results go to stdout as JSON lines; progress to stderr.
var seconds = new Option<int>("--seconds") { Description = "Measured seconds per approach (after a short warm-up).", DefaultValueFactory = _ => 10 };
var clients = new Option<int>("--clients") { Description = "Concurrent clients (closed loops).", DefaultValueFactory = _ => 64 };
var approach = new Option<string[]>("--approach") { Description = "Approach to run (repeatable); default: all of the scenario's.", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
var buyers = new Option<int>("--buyers") { Description = "Simulated buyers joining the flash sale.", DefaultValueFactory = _ => 100_000 };
var units = new Option<int>("--units") { Description = "Units in the flash sale.", DefaultValueFactory = _ => 1_000 };
var urls = new Option<string>("--urls") { Description = "Where the baseline app listens.", DefaultValueFactory = _ => "http://127.0.0.1:5099" };
var rounds = new Option<int>("--rounds") { Description = "Rounds of one closed and one open window (dashboard only).", DefaultValueFactory = _ => 10 };
var products = new Option<int>("--products") { Description = "Generated products, 4 SKUs each (search only).", DefaultValueFactory = _ => 100_000 };
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

var checkout = new Command("checkout", "Signed-in customers check out one unit with the 4242 card over HTTP: the built-in test-mode gateway against the Stripe provider talking to the loopback stand-in for Stripe.") { seconds, clients, approach };
checkout.SetAction(parse => CheckoutBenchmark.RunAsync(parse.GetValue(seconds), parse.GetValue(clients), parse.GetValue(approach) ?? [], new BenchEnvironment()));
root.Subcommands.Add(checkout);

var dashboard = new Command("dashboard", "What an open operator dashboard costs the hot-sku grain workload: closed and open windows alternating in one run (--seconds per window).") { seconds, clients, rounds };
dashboard.SetAction(parse => DashboardCostBenchmark.RunAsync(parse.GetValue(seconds), parse.GetValue(clients), parse.GetValue(rounds), new BenchEnvironment()));
root.Subcommands.Add(dashboard);

var trace = new Argument<string>("trace") { Description = "A trace of CPU samples (dotnet-trace collect-linux --profile cpu-sampling)." };
var profileReport = new Command("profile-report", "Where a process's CPU time went, by component, from a trace deploy/profile took.") { trace };
profileReport.SetAction(parse => CpuProfileReport.Run(parse.GetValue(trace)!, Console.Out));
root.Subcommands.Add(profileReport);

var indexLag = new Command("index-lag", "Catalog-change stream: p50/p99 from an acknowledged product change, and from a committed stock change, to the search-index writer having applied it.");
indexLag.SetAction(_ => IndexLagBenchmark.RunAsync(new BenchEnvironment()));
root.Subcommands.Add(indexLag);

var rows = new Option<int>("--rows") { Description = "Rows (SKUs) in the generated import file (import only).", DefaultValueFactory = _ => 100_000 };
var import = new Command("import", "A generated 100,000-row catalog CSV imported through the API by the background job, then the same file again: rows/s of each.") { rows };
import.SetAction(parse => ImportBenchmark.RunAsync(parse.GetValue(rows), new BenchEnvironment()));
root.Subcommands.Add(import);

var search = new Command("search", "Search and autocomplete p50/p99 on a generated catalog (100,000 products, 400,000 SKUs) in PostgreSQL, with facets, filters and misspellings.") { seconds, clients, products };
search.SetAction(parse => SearchBenchmark.RunAsync(parse.GetValue(seconds), parse.GetValue(clients), parse.GetValue(products), new BenchEnvironment()));
root.Subcommands.Add(search);

var baseline = new Command("redis-flash-sale-app", "Hosts the baseline flash-sale HTTP app (the seeds' Redis flow); started by the flash-sale benchmark.") { urls, redis };
baseline.SetAction(parse => RedisFlashSaleApp.RunAsync(parse.GetValue(urls)!, parse.GetValue(redis)!));
root.Subcommands.Add(baseline);

var benchSilo = new Command(BenchSiloHost.Command, "Hosts a silo for the bench's own grains (the grain-lean approach); started by the benchmarks.") { urls };
benchSilo.Hidden = true;
benchSilo.SetAction(parse => BenchSiloHost.RunAsync(parse.GetValue(urls)!));
root.Subcommands.Add(benchSilo);

return await root.Parse(args).InvokeAsync();
