using System.Globalization;
using Commerce.Runtime.Storage;
using Npgsql;

namespace Commerce.Runtime.PostgreSql;

/// <summary>
/// The SQL of a fenced write, shared by every table a grain writes: a CTE that locks the
/// partition's lease row (KEY SHARE) only if it still carries the writer's epoch. A lease transfer
/// locks the row FOR UPDATE, so it waits for fenced writes in flight, and a write that starts after
/// a transfer finds the new epoch and changes nothing.
/// </summary>
internal static class LeaseFence
{
    const string HeldSql = "SELECT 1 FROM partition_leases WHERE partition = $1 AND epoch = $2 AND owner = $3";

    /// <summary>"fence AS (...)" using parameters $first (partition), $first+1 (epoch), $first+2 (owner).</summary>
    public static string Cte(int first) => string.Format(CultureInfo.InvariantCulture,
        "fence AS (SELECT 1 FROM partition_leases WHERE partition = ${0} AND epoch = ${1} AND owner = ${2} FOR KEY SHARE)", first, first + 1, first + 2);

    public const string Holds = "EXISTS (SELECT 1 FROM fence)";

    public static void AddParameters(NpgsqlParameterCollection parameters, StorageFence fence)
    {
        parameters.Add(new NpgsqlParameter<int> { TypedValue = fence.Partition });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = fence.Epoch });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = fence.Owner });
    }

    /// <summary>Tells a refused fenced write from an ordinary refusal: throws when the lease moved.</summary>
    public static async Task ThrowIfLostAsync(NpgsqlDataSource dataSource, StorageFence? fence, string what, CancellationToken cancellationToken)
    {
        if (fence is not { } f)
        {
            return;
        }
        await using var command = dataSource.CreateCommand(HeldSql);
        AddParameters(command.Parameters, f);
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            throw new LeaseLostException(
                $"Refused {what}: partition {f.Partition} is no longer leased to {f.Owner} at epoch {f.Epoch}. Nothing was changed.");
        }
    }
}
