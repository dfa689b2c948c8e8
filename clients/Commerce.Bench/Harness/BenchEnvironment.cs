namespace Commerce.Bench.Harness;

/// <summary>
/// The servers deploy/bench provisioned for this run, from the environment: COMMERCE_BENCH_POSTGRES
/// (an Npgsql connection string to a database the benchmark may drop and re-create) and
/// COMMERCE_BENCH_REDIS_ALWAYS / _EVERYSEC / _NONE (host:port of Redis servers with that appendfsync policy).
/// </summary>
public sealed class BenchEnvironment
{
    public string? Postgres { get; } = Environment.GetEnvironmentVariable("COMMERCE_BENCH_POSTGRES");

    public string RequirePostgres() =>
        Postgres ?? throw new InvalidOperationException("COMMERCE_BENCH_POSTGRES is not set; run through deploy/bench, which provisions PostgreSQL.");

    public string RequireRedis(string policy)
    {
        var variable = "COMMERCE_BENCH_REDIS_" + policy.ToUpperInvariant();
        return Environment.GetEnvironmentVariable(variable)
            ?? throw new InvalidOperationException($"{variable} is not set; run through deploy/bench, which provisions Redis.");
    }
}
