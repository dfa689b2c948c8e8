using Commerce.Persistence;
using Npgsql;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;

namespace Commerce.Hosting;

/// <summary>
/// The failures a caller may see while part of the system is briefly away: a silo died or left with
/// the call in flight, the call timed out (or expired before Orleans could place its grain: an
/// <see cref="OperationCanceledException"/> from the runtime, seen while an activation could not load its
/// state during a PostgreSQL restart), a stale activation's write was refused, PostgreSQL was
/// restarting. Each leaves the call in doubt, and retrying it as it was (same idempotency key, same
/// reservation id) answers it: the gateway turns them into 503 with <c>Retry-After</c>, and the
/// cluster tests accept these and nothing else.
/// </summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception error) => error switch
    {
        OrleansMessageRejectionException or GatewayTooBusyException or ConnectionFailedException or ClientNotAvailableException
            or OrleansLifecycleCanceledException or InconsistentStateException or TimeoutException or DatabaseUnavailableException
            or OperationCanceledException => true,
        NpgsqlException npgsql => DatabaseFaults.IsTransient(npgsql),
        AggregateException aggregate => aggregate.InnerExceptions.All(IsTransient),
        _ => error.InnerException is { } inner && IsTransient(inner),
    };
}
