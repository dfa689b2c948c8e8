using Npgsql;

namespace Commerce.Gateway.Dashboard;

/// <summary>
/// Order and payment figures read with plain SQL from what the order and payment grains commit, so
/// the grains pay nothing: each order's status history (<c>OrderGrain</c>, state "order") gives the
/// orders that entered each status in the last minute; payments (<c>PaymentGrain</c>, state
/// "payment") declined in the last hour are the failed ones. Only rows written in that time are looked at.
/// </summary>
public sealed class StoredOrderFigures(NpgsqlDataSource dataSource) : IOrderFigures
{
    private const int FailedPaymentsListed = 10;

    // The grains' storage names and their JSON (camelCase, enums by name).
    private const string OrdersByStatusSql = """
        SELECT e->>'status', count(*)
        FROM grain_state s CROSS JOIN LATERAL jsonb_array_elements(s.payload->'history') e
        WHERE s.grain_type = 'Order' AND s.state_name = 'order' AND s.updated_at > now() - interval '1 minute'
          AND (e->>'at')::timestamptz > now() - interval '1 minute'
        GROUP BY 1 ORDER BY 1
        """;

    private const string FailedPaymentsSql = """
        SELECT s.updated_at, coalesce(s.payload->>'orderId', s.grain_key),
               coalesce(s.payload->>'failureMessage', s.payload->>'failureCode', 'declined'), count(*) OVER ()
        FROM grain_state s
        WHERE s.grain_type = 'Payment' AND s.state_name = 'payment' AND s.payload->>'status' = 'Declined'
          AND s.updated_at > now() - interval '1 hour'
        ORDER BY s.updated_at DESC LIMIT $1
        """;

    public async Task<OrderFiguresView?> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var perMinute = new Dictionary<string, double>(StringComparer.Ordinal);
        await using (var orders = new NpgsqlCommand(OrdersByStatusSql, connection))
        await using (var reader = await orders.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                perMinute[reader.IsDBNull(0) ? "unknown" : reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        var failed = new List<FailedPaymentView>();
        long failedLastHour = 0;
        await using (var payments = new NpgsqlCommand(FailedPaymentsSql, connection))
        {
            payments.Parameters.Add(new NpgsqlParameter<int> { TypedValue = FailedPaymentsListed });
            await using var reader = await payments.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                failed.Add(new FailedPaymentView(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2)));
                failedLastHour = reader.GetInt64(3);
            }
        }
        return new OrderFiguresView(perMinute, failedLastHour, failed);
    }
}
