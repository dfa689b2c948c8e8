using Commerce.Grains;
using Commerce.Grains.Orders;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Orders;

/// <summary>A page of orders, newest first; pass <paramref name="NextCursor"/> to get the next.</summary>
public sealed record OrderPage(IReadOnlyList<OrderSummary> Orders, string? NextCursor);

/// <summary>
/// The order index (<c>order_summaries</c>). Order grains upsert their row after every committed
/// change and on activation; a version guard keeps a late upsert from overwriting a newer one.
/// </summary>
public sealed class OrderIndex(NpgsqlDataSource dataSource)
{
    /// <param name="checkoutFailed">The order ended without ever being placed (declined, out of stock): left out of the customer's history.</param>
    public async Task Upsert(OrderSummary order, long version, bool checkoutFailed, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO order_summaries (order_id, customer_id, status, total, currency, items, placed_at, updated_at, version, checkout_failed)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
                checkout_failed = EXCLUDED.checkout_failed
            WHERE order_summaries.version < EXCLUDED.version
            """);
        command.Parameters.Add(new() { Value = order.OrderId });
        command.Parameters.Add(new() { Value = order.CustomerId });
        command.Parameters.Add(new() { Value = order.Status.ToString() });
        command.Parameters.Add(new() { Value = order.Total.Amount });
        command.Parameters.Add(new() { Value = order.Total.Currency });
        command.Parameters.Add(new() { Value = order.Items });
        command.Parameters.Add(new() { Value = order.PlacedAt });
        command.Parameters.Add(new() { Value = order.UpdatedAt });
        command.Parameters.Add(new() { Value = version });
        command.Parameters.Add(new() { Value = checkoutFailed });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Orders newest first, of one customer or (null) of everyone, optionally of one status. The
    /// cursor is the last row's placed-at and id, so pages stay stable while new orders arrive.
    /// A customer's list leaves out checkouts that failed: they never were orders to them.
    /// </summary>
    public async Task<OrderPage> List(string? customerId, OrderStatus? status, string? cursor, int limit, CancellationToken cancellationToken = default)
    {
        var (beforeTime, beforeId) = ParseCursor(cursor);
        await using var command = dataSource.CreateCommand(
            """
            SELECT order_id, customer_id, status, total, currency, items, placed_at, updated_at FROM order_summaries
            WHERE ($1::text IS NULL OR (customer_id = $1 AND NOT checkout_failed)) AND ($2::text IS NULL OR status = $2)
              AND (placed_at, order_id) < ($3, $4)
            ORDER BY placed_at DESC, order_id DESC LIMIT $5
            """);
        command.Parameters.Add(new() { Value = (object?)customerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)status?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = beforeTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = beforeId });
        command.Parameters.Add(new() { Value = limit });
        var orders = new List<OrderSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            orders.Add(new OrderSummary(reader.GetString(0), reader.GetString(1), Enum.Parse<OrderStatus>(reader.GetString(2)),
                new Money(reader.GetDecimal(3), reader.GetString(4).Trim()), reader.GetInt32(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }
        var next = orders.Count == limit ? $"{orders[^1].PlacedAt.UtcTicks}.{orders[^1].OrderId}" : null;
        return new OrderPage(orders, next);
    }

    /// <summary>True when <paramref name="cursor"/> is one this index handed out (or absent).</summary>
    public static bool IsCursor(string? cursor) => cursor is null || TryParseCursor(cursor, out _, out _);

    private static (DateTimeOffset, string) ParseCursor(string? cursor) =>
        cursor is not null && TryParseCursor(cursor, out var time, out var id) ? (time, id) : (DateTimeOffset.MaxValue, "");

    private static bool TryParseCursor(string cursor, out DateTimeOffset time, out string id)
    {
        time = default;
        id = "";
        var dot = cursor.IndexOf('.');
        if (dot <= 0 || !long.TryParse(cursor.AsSpan(0, dot), out var ticks) || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }
        time = new DateTimeOffset(ticks, TimeSpan.Zero);
        id = cursor[(dot + 1)..];
        return true;
    }
}

public static class OrderIndexServiceCollectionExtensions
{
    public static IServiceCollection AddOrderIndex(this IServiceCollection services)
    {
        services.AddSingleton<OrderIndex>();
        services.AddPostgresMigrations(typeof(OrderIndex).Assembly, "orders");
        return services;
    }
}
