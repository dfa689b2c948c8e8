using Npgsql;
using Orleans;

namespace Commerce.Persistence;

/// <summary>
/// PostgreSQL could not be reached or broke off (a restart, a failover, a dropped connection): the
/// operation may or may not have taken effect and can be retried. Orleans carries only exceptions of
/// its own and of System namespaces between processes, so a grain turns Npgsql's into this one (and
/// <see cref="DatabaseException"/>) before they leave the silo; a caller in another process would
/// otherwise receive a <c>CodecNotFoundException</c> and nothing of the cause.
/// </summary>
[GenerateSerializer, Alias("Commerce.DatabaseUnavailableException")]
public sealed class DatabaseUnavailableException : Exception
{
    public DatabaseUnavailableException(string message, string? sqlState) : base(message) => SqlState = sqlState;

    /// <summary>PostgreSQL's error code when the server sent one (57P01: the server is shutting down), else null.</summary>
    [Id(0)]
    public string? SqlState { get; private set; }
}

/// <summary>PostgreSQL refused an operation for a reason that a retry does not change (a bug, or data the database cannot hold).</summary>
[GenerateSerializer, Alias("Commerce.DatabaseException")]
public sealed class DatabaseException : Exception
{
    public DatabaseException(string message, string? sqlState) : base(message) => SqlState = sqlState;

    [Id(0)]
    public string? SqlState { get; private set; }
}

public static class DatabaseFaults
{
    /// <summary>Server shutdown, crash and "cannot connect now": the server is going or coming back.</summary>
    private static readonly HashSet<string> ServerGoing = ["57P01", "57P02", "57P03"];

    /// <summary>Npgsql's exception as one that crosses Orleans' wire, transient or not.</summary>
    public static Exception Portable(NpgsqlException error)
    {
        var sqlState = (error as PostgresException)?.SqlState;
        return IsTransient(error)
            ? new DatabaseUnavailableException($"PostgreSQL is unavailable: {error.Message}", sqlState)
            : new DatabaseException($"PostgreSQL refused the operation: {error.Message}", sqlState);
    }

    /// <summary>
    /// Whether the operation is in doubt and a retry answers it: Npgsql calls the failure transient, the server
    /// is going, or the client side broke (an Npgsql exception that is not the server's answer: a lost or
    /// desynchronized connection, "Received unexpected backend message", which Npgsql ends by breaking the
    /// connection). Such a statement may have committed — a purchase may be sold — so its caller must hear
    /// "retry with the same key", not "refused". Only the server's own refusal (a <see cref="PostgresException"/>)
    /// is final.
    /// </summary>
    public static bool IsTransient(NpgsqlException error) =>
        error is not PostgresException postgres || postgres.IsTransient || ServerGoing.Contains(postgres.SqlState);

    /// <summary>
    /// A server restart breaks every pooled connection at once, and each would fail its next command:
    /// dropping the idle ones at the first sign costs one failed operation instead of one per connection.
    /// </summary>
    public static void ForgetBrokenConnections(NpgsqlDataSource dataSource, NpgsqlException error)
    {
        if (IsTransient(error))
        {
            dataSource.Clear();
        }
    }
}

/// <summary>Turns an Npgsql exception escaping any grain method of this silo into one that crosses processes.</summary>
internal sealed class DatabaseFaultsFilter : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        // Most calls complete without an await of their own: they pay for no state machine here.
        var call = context.Invoke();
        return call.IsCompletedSuccessfully ? call : Translate(call);
    }

    private static async Task Translate(Task call)
    {
        try
        {
            await call;
        }
        catch (NpgsqlException error)
        {
            throw DatabaseFaults.Portable(error);
        }
    }
}
