using Commerce.Bench;

// Benchmarks are commands, not tests: deploy/bench provisions what they need and calls this program.
// Usage: Commerce.Bench runtime [--seconds N] [--clients N]
var command = args.Length > 0 ? args[0] : "runtime";
var seconds = IntOption("--seconds", 5);
var clients = IntOption("--clients", 64);
var connectionString = Environment.GetEnvironmentVariable("COMMERCE_BENCH_POSTGRES");

return command switch
{
    "runtime" => await RuntimeBenchmark.RunAsync(seconds, clients, connectionString),
    _ => Usage(),
};

int IntOption(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) && value > 0 ? value : fallback;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Commerce.Bench runtime [--seconds N] [--clients N]");
    return 2;
}
