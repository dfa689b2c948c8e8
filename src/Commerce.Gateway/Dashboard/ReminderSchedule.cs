using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace Commerce.Gateway.Dashboard;

/// <summary>How many reminders the service has and when the next tick is due.</summary>
public sealed record ReminderSummary(long Count, DateTimeOffset? NextDueAt);

/// <summary>
/// Reads Orleans' reminder table (<c>OrleansRemindersTable</c>, the ADO.NET provider's contract:
/// ServiceId, GrainId, ReminderName, StartTime, Period in milliseconds, GrainHash, Version) with
/// plain SQL: one aggregate over this service's rows, so ask it every few seconds, not per request.
/// A row holds the first tick and the period; the next tick is the first of StartTime + k·Period
/// that is not in the past.
/// </summary>
public sealed class ReminderSchedule(NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster)
{
    private const string SummarySql = """
        SELECT count(*),
               min(CASE WHEN StartTime >= now() OR Period <= 0 THEN StartTime
                        ELSE StartTime + make_interval(secs => ceil(extract(epoch FROM now() - StartTime) * 1000 / Period) * Period / 1000.0) END)
        FROM OrleansRemindersTable
        WHERE ServiceId = $1
        """;

    public async Task<ReminderSummary> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(SummarySql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = cluster.Value.ServiceId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ReminderSummary(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }
}
