using Commerce.Runtime.Invocation;
using Commerce.Runtime.Serialization;

namespace Commerce.Runtime.Telemetry;

/// <summary>
/// What the runtime keeps per grain method: call counts and latency for telemetry, and the verdict
/// on whether its argument and result types are serializable. Attached to the generated method
/// descriptor on first use, so the call path finds it with one field read.
/// </summary>
internal sealed class MethodStatistics
{
    private static readonly object CreationGate = new();

    private MethodStatistics(GrainMethodDescriptor method)
    {
        Method = method;
        try
        {
            foreach (var type in method.ParameterTypes)
            {
                GrainSerializer.EnsureSerializable(type);
            }
            GrainSerializer.EnsureSerializable(method.ResultType);
        }
        catch (GrainSerializationException e)
        {
            SerializationProblem = new GrainSerializationException($"{method.FullName} cannot be called: {e.Message}", e.Type);
        }
    }

    public static MethodStatistics For(GrainMethodDescriptor method)
    {
        if (method.RuntimeData is MethodStatistics existing)
        {
            return existing;
        }
        lock (CreationGate)
        {
            if (method.RuntimeData is not MethodStatistics created)
            {
                created = new MethodStatistics(method);
                method.RuntimeData = created;
                All.Add(created);
            }
            return created;
        }
    }

    /// <summary>Every method called in this process, for the telemetry snapshot.</summary>
    public static List<MethodStatistics> All { get; } = [];

    public static MethodStatistics[] Snapshot()
    {
        lock (CreationGate)
        {
            return [.. All];
        }
    }

    public GrainMethodDescriptor Method { get; }

    public GrainSerializationException? SerializationProblem { get; }

    /// <summary>The grain type that served this method (set on the first completed call).</summary>
    public string? GrainType;

    /// <summary>Completed calls: every one records its latency, so the histogram counts them.</summary>
    public long Calls => Latency.Count;

    public long Failures;
    public long Timeouts;
    public LatencyHistogram Latency { get; } = new();
}
