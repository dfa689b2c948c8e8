using Commerce.Grains.FlashSales;
using Orleans;

namespace Commerce.Gateway.Dashboard;

/// <summary>
/// The flash sales worth watching: every sale in the catalog that is not over, newest first, read
/// through the sale grains' read-only status. A sale seen ended or cancelled is never asked again.
/// </summary>
public sealed class FlashSaleWatch(IGrainFactory grains)
{
    private readonly HashSet<string> _over = new(StringComparer.Ordinal);
    private Dictionary<string, (int Sold, DateTimeOffset At)> _previous = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<FlashSaleView>> ReadAsync(int limit, DateTimeOffset now)
    {
        var saleIds = await grains.GetGrain<IFlashSaleCatalogGrain>(FlashSaleCatalog.GrainKey).List();
        var watched = saleIds.Where(id => !_over.Contains(id)).Reverse().Take(limit).ToList();
        var statuses = await Task.WhenAll(watched.Select(id => grains.GetGrain<IFlashSaleGrain>(id).GetStatus()));
        var views = new List<FlashSaleView>();
        var sold = new Dictionary<string, (int, DateTimeOffset)>(StringComparer.Ordinal);
        foreach (var status in statuses.OfType<FlashSaleStatus>())
        {
            // An ended sale stays on the board while bought units still await payment.
            if (status.Phase is SalePhase.Ended or SalePhase.Cancelled && status.UnitsAwaitingPayment == 0)
            {
                _over.Add(status.SaleId);
                continue;
            }
            var perSecond = _previous.TryGetValue(status.SaleId, out var before) && now > before.At
                ? Math.Max(0, status.UnitsSold - before.Sold) / (now - before.At).TotalSeconds
                : 0;
            sold[status.SaleId] = (status.UnitsSold, now);
            views.Add(new FlashSaleView(status.SaleId, status.Sku, status.Phase.ToString(), status.StartsAt, status.EndsAt,
                status.Units, status.UnitsSold, status.UnitsRemaining, status.CustomersWaiting,
                status.CustomersQueued - status.CustomersWaiting, status.TokensOutstanding, perSecond,
                status.UnitsPaid, status.UnitsAwaitingPayment, status.UnitsExpired));
        }
        _previous = sold;
        return views;
    }
}
