namespace Commerce.Gateway.Dashboard;

/// <summary>Orders and payments as the dashboard shows them.</summary>
/// <param name="OrdersPerMinuteByState">Orders that entered each state in the last minute.</param>
public sealed record OrderFiguresView(
    IReadOnlyDictionary<string, double> OrdersPerMinuteByState,
    long FailedPaymentsLastHour,
    IReadOnlyList<FailedPaymentView> RecentFailedPayments);

public sealed record FailedPaymentView(DateTimeOffset At, string OrderId, string Reason);

/// <summary>
/// Where the dashboard gets order and payment figures; asked every few seconds. By default
/// <see cref="StoredOrderFigures"/> reads them from the stored order and payment states; a silo
/// without orders registers <see cref="NoOrderFigures"/>, and the page shows the section as not available.
/// </summary>
public interface IOrderFigures
{
    /// <summary>Null when there is nothing to report (no order system yet).</summary>
    Task<OrderFiguresView?> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>For a silo that hosts no orders: the dashboard shows their section as not available.</summary>
public sealed class NoOrderFigures : IOrderFigures
{
    public Task<OrderFiguresView?> ReadAsync(CancellationToken cancellationToken) => Task.FromResult<OrderFiguresView?>(null);
}
