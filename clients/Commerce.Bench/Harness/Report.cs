using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Bench.Harness;

/// <summary>One approach's figures in one scenario: one JSON line on stdout (the shape issue 6 asks for).</summary>
public sealed record ApproachResult(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("approach")] string Approach,
    [property: JsonPropertyName("durable")] bool Durable,
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("seconds")] int Seconds,
    [property: JsonPropertyName("ops_per_sec")] double OpsPerSec,
    [property: JsonPropertyName("p50_ms")] double P50Ms,
    [property: JsonPropertyName("p99_ms")] double P99Ms,
    [property: JsonPropertyName("attempted")] long Attempted,
    [property: JsonPropertyName("succeeded")] long Succeeded,
    [property: JsonPropertyName("oversold")] long Oversold)
{
    /// <summary>Grain approaches: reservations answered per commit during the measured run (group commit at work).</summary>
    [JsonPropertyName("reservations_per_commit")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ReservationsPerCommit { get; init; }

    /// <summary>Grain approaches: the silo process's CPU during the measured run, in percent of one core (from /proc).</summary>
    [JsonPropertyName("silo_cpu_pct")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SiloCpuPercent { get; init; }
}

/// <summary>Results on stdout (one JSON object per line), everything for humans on stderr.</summary>
public static class Report
{
    // snake_case for every result, whether its record names its properties or not.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.Strict, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Set when a correctness check failed: the process exits non-zero after printing everything.</summary>
    public static bool CheckFailed { get; private set; }

    public static void Line(object result)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(result, result.GetType(), Json));
        Console.Out.Flush();
    }

    public static void Progress(string message) => Console.Error.WriteLine(message);

    public static void Fail(string message)
    {
        CheckFailed = true;
        Console.Error.WriteLine("CHECK FAILED: " + message);
    }

    /// <summary>A fixed-width table of the scenario's results, on stderr.</summary>
    public static void Table(IReadOnlyList<ApproachResult> results)
    {
        if (results.Count == 0)
        {
            return;
        }
        Console.Error.WriteLine();
        Console.Error.WriteLine($"{"scenario",-10} {"approach",-24} {"durable",-7} {"clients",7} {"ops/s",11} {"p50 ms",8} {"p99 ms",8} {"attempted",10} {"succeeded",10} {"oversold",8} {"per commit",10} {"silo CPU",8}");
        foreach (var r in results)
        {
            Console.Error.WriteLine($"{r.Scenario,-10} {r.Approach,-24} {(r.Durable ? "yes" : "no"),-7} {r.Clients,7} {r.OpsPerSec,11:N0} {r.P50Ms,8:0.###} {r.P99Ms,8:0.###} {r.Attempted,10:N0} {r.Succeeded,10:N0} {r.Oversold,8:N0} {(r.ReservationsPerCommit is { } c ? c.ToString("0.0", CultureInfo.InvariantCulture) : ""),10} {(r.SiloCpuPercent is { } p ? p.ToString("0", CultureInfo.InvariantCulture) + "%" : ""),8}");
        }
        Console.Error.WriteLine();
    }
}
