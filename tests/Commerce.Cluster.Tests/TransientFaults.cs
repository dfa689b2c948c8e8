using Npgsql;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;

namespace Commerce.Cluster.Tests;

/// <summary>
/// The failures a caller may see while part of the cluster is away: a silo died or left with the
/// call in flight, the call timed out, a stale activation's write was refused, PostgreSQL was
/// restarting. Each of them leaves the call in doubt and is answered by retrying it as it was. This is
/// the same set the gateway turns into 503 <c>temporarily-unavailable</c> (src/Commerce.Gateway/ClusterFaults.cs),
/// on purpose: any other exception reaching a caller in these tests would be a bare 500 at the gateway.
/// </summary>
internal static class TransientFaults
{
    public static bool IsExpected(Exception error) => error switch
    {
        OrleansMessageRejectionException or GatewayTooBusyException or ConnectionFailedException or ClientNotAvailableException
            or OrleansLifecycleCanceledException or InconsistentStateException or TimeoutException => true,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql is PostgresException { SqlState: "57P01" or "57P02" or "57P03" },
        AggregateException aggregate => aggregate.InnerExceptions.All(IsExpected),
        _ => error.InnerException is { } inner && IsExpected(inner),
    };

    /// <summary>A short name for counting: the type, and the inner type when it is what the wrapper says.</summary>
    public static string Kind(Exception error) =>
        error.InnerException is { } inner && error is not InconsistentStateException ? $"{error.GetType().Name}({inner.GetType().Name})" : error.GetType().Name;
}
