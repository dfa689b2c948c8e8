using Commerce.Hosting.SiloTelemetry;
using Commerce.Payments;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace Commerce.Gateway.Dashboard;

/// <summary>
/// Samples the cluster once per <see cref="DashboardOptions.SampleInterval"/> while an operator
/// watches, and sleeps otherwise: every silo's statistics and telemetry (one call of
/// <see cref="ISiloTelemetryGrain"/>) each time; flash sales and hot SKUs every
/// <see cref="DashboardOptions.CommerceInterval"/>; low stock, the reminder count and order figures
/// every <see cref="DashboardOptions.SlowQueryInterval"/>. Keeps the latest view and the last chart points.
/// Works the same in a silo and in a gateway that is only a cluster client.
/// </summary>
public sealed class DashboardSampler(
    IGrainFactory grains,
    IServiceProvider services,
    FlashSaleWatch flashSales,
    InventoryActivity inventory,
    ReminderSchedule reminders,
    IOrderFigures orders,
    DashboardViewers viewers,
    TimeProvider clock,
    IOptions<DashboardOptions> options,
    ILogger<DashboardSampler> logger) : BackgroundService
{
    private readonly DashboardOptions _options = options.Value;

    /// <summary>The silo this process is, when it is one (a gateway-only process is a cluster client).</summary>
    private readonly ILocalSiloDetails? _localSilo = services.GetService<ILocalSiloDetails>();

    /// <summary>This process's counts of the payment provider's declines and errors, where a payment gateway runs.</summary>
    private readonly PaymentProviderHealth? _paymentHealth = services.GetService<PaymentProviderHealth>();

    private readonly string _paymentProvider = PaymentsServiceCollectionExtensions.Provider(services.GetRequiredService<IConfiguration>());

    private ClusterFigures _figures = new();
    private readonly MembershipChangeLog _membership = new();
    private readonly Queue<DashboardPoint> _history = new();
    private readonly object _historyGate = new();
    private TaskCompletionSource<DashboardView> _firstView = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DashboardView? _latest;

    private CommerceView _commerce = new([], [], [], null);
    private ReminderSummary? _reminderSummary;
    private DateTimeOffset _commerceDue;
    private DateTimeOffset _slowQueriesDue;

    /// <summary>The latest view, or the first one once sampling (re)starts.</summary>
    public Task<DashboardView> CurrentAsync() => Volatile.Read(ref _latest) is { } latest ? Task.FromResult(latest) : _firstView.Task;

    public DashboardHistory History()
    {
        lock (_historyGate)
        {
            return new DashboardHistory([.. _history]);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SampleInterval, clock);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!viewers.WatchedWithin(_options.IdleAfter))
                {
                    Pause();
                    await viewers.WaitForViewerAsync(stoppingToken);
                    continue;
                }
                await SampleAsync(stoppingToken);
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Sampling the cluster for the dashboard failed; trying again");
                await Task.Delay(_options.SampleInterval, clock, stoppingToken);
            }
        }
    }

    /// <summary>Nobody watches: the next viewer waits for a fresh sample rather than reading a stale one.</summary>
    private void Pause()
    {
        if (Volatile.Read(ref _latest) is not null)
        {
            _figures = new ClusterFigures(); // rates restart instead of averaging over the pause
            inventory.Forget();
            _firstView = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _latest, null);
        }
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        var telemetry = await grains.ReadClusterTelemetry(_options.SiloTimeout);
        var now = clock.GetUtcNow();
        var cluster = _figures.Next(telemetry);
        await RefreshCommerceAsync(now, cancellationToken);
        var point = new DashboardPoint(
            now,
            cluster.GrainTypes.Sum(t => t.CallsPerSecond),
            cluster.GrainTypes.Sum(t => t.FailuresPerSecond),
            cluster.Silos.Sum(s => s.Activations ?? 0),
            cluster.Storage.ReadsPerSecond,
            cluster.Storage.WritesPerSecond,
            cluster.GrainTypes.ToDictionary(t => t.GrainType, t => Math.Round(t.CallsPerSecond, 2)),
            _commerce.FlashSales.ToDictionary(s => s.SaleId, s => s.UnitsSold));
        var view = new DashboardView(
            now,
            _localSilo?.SiloAddress.ToParsableString(),
            new ClusterView(cluster.Silos, _membership.Observe(cluster.Silos, now)),
            cluster.GrainTypes,
            cluster.Methods,
            cluster.Storage,
            cluster.Reminders with { Count = _reminderSummary?.Count, NextDueAt = _reminderSummary?.NextDueAt },
            _commerce,
            cluster.RecentErrors,
            point);
        Remember(point);
        Volatile.Write(ref _latest, view);
        _firstView.TrySetResult(view);
    }

    private async Task RefreshCommerceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (now < _commerceDue)
        {
            return;
        }
        _commerceDue = now + _options.CommerceInterval;
        var sales = await Quietly(() => flashSales.ReadAsync(_options.ListLength, now), _commerce.FlashSales, "flash sales");
        var hot = await Quietly(() => inventory.HottestAsync(_options.ListLength, now, cancellationToken), _commerce.HotSkus, "hot SKUs");
        var lowStock = _commerce.LowStock;
        var orderFigures = _commerce.Orders;
        if (now >= _slowQueriesDue)
        {
            _slowQueriesDue = now + _options.SlowQueryInterval;
            lowStock = await Quietly(() => inventory.LowStockAsync(_options.ListLength, cancellationToken), lowStock, "low stock");
            orderFigures = await Quietly(() => orders.ReadAsync(cancellationToken), orderFigures, "order figures");
            _reminderSummary = await Quietly<ReminderSummary?>(async () => await reminders.ReadAsync(cancellationToken), _reminderSummary, "reminder count");
        }
        _commerce = new CommerceView(sales, hot, lowStock, orderFigures, _paymentHealth?.Figures(_paymentProvider));
    }

    /// <summary>One failing source (a sale grain, a query) keeps its last figures; the rest of the dashboard goes on.</summary>
    private async Task<T> Quietly<T>(Func<Task<T>> read, T fallback, string what)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "The dashboard could not read {What}; showing the last figures", what);
            return fallback;
        }
    }

    private void Remember(DashboardPoint point)
    {
        lock (_historyGate)
        {
            _history.Enqueue(point);
            while (_history.Count > _options.HistoryLength)
            {
                _history.Dequeue();
            }
        }
    }
}
