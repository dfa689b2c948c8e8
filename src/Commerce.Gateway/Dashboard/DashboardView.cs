using Commerce.Payments;

namespace Commerce.Gateway.Dashboard;

// What GET /api/v1/dashboard returns: the whole cluster at the last sample. Rates, and the mean and
// p99 latencies of calls and storage, cover the interval between a silo's two latest telemetry
// readings (about a second; ClusterFigures); failure and conflict totals cover the silos' lives.

/// <summary>The cluster as the dashboard shows it at <see cref="TakenAt"/>; <see cref="Point"/> is this sample's chart point.</summary>
/// <param name="ServedBy">The silo whose gateway serves this dashboard; null when the gateway is a cluster client without a silo.</param>
public sealed record DashboardView(
    DateTimeOffset TakenAt,
    string? ServedBy,
    ClusterView Cluster,
    IReadOnlyList<GrainTypeView> GrainTypes,
    IReadOnlyList<MethodView> Methods,
    StorageView Storage,
    RemindersView Reminders,
    CommerceView Commerce,
    IReadOnlyList<RecentErrorView> RecentErrors,
    DashboardPoint Point);

/// <param name="SiloId">Orleans' silo address with its generation: a restarted silo is a new one.</param>
/// <param name="Address">Where other silos reach it (host:port).</param>
/// <param name="Status">Its status in the membership table: Joining, Active, ShuttingDown, Stopping, Dead.</param>
/// <param name="Generation">When this incarnation of the silo started.</param>
/// <param name="Reachable">False for a silo that is not active, or did not answer in time (then <paramref name="Problem"/> says why); its figures are then absent.</param>
/// <param name="CpuPercent">The silo process's CPU over the last second, as a share of all the machine's cores.</param>
/// <param name="MemoryBytes">Managed memory in use.</param>
/// <param name="Activations">Every grain activation on the silo, Orleans' own included.</param>
/// <param name="Clients">Cluster clients (gateway-only processes, tools) connected to the silo.</param>
public sealed record SiloView(
    string SiloId,
    string Name,
    string Address,
    string Status,
    DateTimeOffset Generation,
    bool Reachable,
    double UptimeSeconds,
    double? CpuPercent,
    long? MemoryBytes,
    int? Activations,
    long? Clients,
    double? CallsPerSecond,
    string? Problem);

public sealed record MembershipChange(DateTimeOffset At, string SiloId, string? From, string To);

public sealed record ClusterView(IReadOnlyList<SiloView> Silos, IReadOnlyList<MembershipChange> RecentChanges);

public sealed record SiloShare(string SiloId, int Activations, double CallsPerSecond);

/// <param name="Activations">Activations of the type across the cluster (Orleans' management grain).</param>
/// <param name="MeanMs">Mean time the grains spent on a call in the interval (see <see cref="MethodView"/>).</param>
public sealed record GrainTypeView(
    string GrainType,
    int Activations,
    double CallsPerSecond,
    double FailuresPerSecond,
    long Calls,
    long Failures,
    double MeanMs,
    double P99Ms,
    IReadOnlyList<SiloShare> PerSilo);

/// <summary>
/// One grain method across the cluster. Latency is the time the grain spent on a call, from the start
/// of its turn to the end of the method (awaits included, queueing and network not), over the interval.
/// </summary>
/// <param name="Calls">Calls since each silo started.</param>
/// <param name="Failures">Calls that threw, since each silo started.</param>
public sealed record MethodView(
    string GrainType,
    string Method,
    double CallsPerSecond,
    double FailuresPerSecond,
    long Calls,
    long Failures,
    double MeanMs,
    double P99Ms);

/// <param name="WritesPerSecond">Commits per second; a commit writes a grain's state and journal rows in one statement.</param>
/// <param name="CallersPerCommit">Callers answered per commit in the interval: above 1, group commit is at work.</param>
/// <param name="WriteFailures">Commits that failed, since each silo started.</param>
/// <param name="Conflicts">Commits refused for a stale version (a stale activation), since each silo started.</param>
public sealed record StorageView(
    double ReadsPerSecond,
    double WritesPerSecond,
    double ReadMeanMs,
    double ReadP99Ms,
    double WriteMeanMs,
    double WriteP99Ms,
    double CallersPerCommit,
    long WriteFailures,
    long Conflicts);

/// <param name="Count">Reminders of this service in Orleans' reminder table (read every few seconds).</param>
/// <param name="NextDueAt">The earliest next tick among them.</param>
/// <param name="Ticks">Reminder ticks the silos' grains received (<c>ReceiveReminder</c> calls) since each silo started.</param>
/// <param name="Failures">Ticks whose <c>ReceiveReminder</c> threw.</param>
public sealed record RemindersView(
    long? Count,
    DateTimeOffset? NextDueAt,
    double TicksPerSecond,
    long Ticks,
    long Failures);

/// <param name="UnitsSold">Bought and not given back: paid, or awaiting payment.</param>
/// <param name="TokensOutstanding">Purchase tokens issued and neither used nor returned to the pool yet.</param>
/// <param name="UnitsExpired">Bought but not paid in time: back in the sale's pool.</param>
public sealed record FlashSaleView(
    string SaleId,
    string Sku,
    string Phase,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int Units,
    int UnitsSold,
    int UnitsRemaining,
    long QueueLength,
    long Admitted,
    int TokensOutstanding,
    double SoldPerSecond,
    int UnitsPaid,
    int UnitsAwaitingPayment,
    int UnitsExpired);

public sealed record HotSkuView(string Sku, double ReservationsPerSecond);

public sealed record LowStockView(string Sku, int Available, int LowStockThreshold, string Level);

/// <param name="Orders">Null until an order system reports its figures (<see cref="IOrderFigures"/>).</param>
/// <param name="PaymentProvider">
/// The payment provider as this process saw it since it started (declines by code, calls that found it
/// unavailable, refused credentials): counted per process, not cluster-wide; null where no payment gateway runs.
/// </param>
public sealed record CommerceView(
    IReadOnlyList<FlashSaleView> FlashSales,
    IReadOnlyList<HotSkuView> HotSkus,
    IReadOnlyList<LowStockView> LowStock,
    OrderFiguresView? Orders,
    PaymentProviderFigures? PaymentProvider = null);

public sealed record RecentErrorView(DateTimeOffset At, string SiloId, string GrainType, string Method, string ExceptionType, string Message);

/// <summary>One chart point: cluster totals at one sample.</summary>
public sealed record DashboardPoint(
    DateTimeOffset At,
    double CallsPerSecond,
    double FailuresPerSecond,
    int Activations,
    double StorageReadsPerSecond,
    double StorageWritesPerSecond,
    IReadOnlyDictionary<string, double> CallsPerSecondByGrainType,
    IReadOnlyDictionary<string, int> UnitsSoldBySale);

/// <summary>The last points, oldest first, so a page that opens draws full charts at once.</summary>
public sealed record DashboardHistory(IReadOnlyList<DashboardPoint> Points);
