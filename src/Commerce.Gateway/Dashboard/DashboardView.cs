namespace Commerce.Gateway.Dashboard;

// What GET /api/v1/dashboard returns: the whole cluster at the last sample. Rates, and the mean and
// p99 latencies of calls and storage, cover the interval between the two latest samples of every
// silo (about a second; ClusterFigures); reminder tardiness covers the silos' whole lives.

/// <summary>The cluster as the dashboard shows it at <see cref="TakenAt"/>; <see cref="Point"/> is this sample's chart point.</summary>
public sealed record DashboardView(
    DateTimeOffset TakenAt,
    string ServedBy,
    ClusterView Cluster,
    IReadOnlyList<GrainTypeView> GrainTypes,
    IReadOnlyList<MethodView> Methods,
    StorageView Storage,
    RemindersView Reminders,
    CommerceView Commerce,
    IReadOnlyList<RecentErrorView> RecentErrors,
    DashboardPoint Point);

/// <param name="Generation">When this incarnation of the silo started: a restart is a new generation.</param>
/// <param name="CpuPercent">CPU time used in the last interval, as a percentage of one core.</param>
/// <param name="Reachable">False when the silo's telemetry did not answer in time; its figures are then absent.</param>
public sealed record SiloView(
    string SiloId,
    string Address,
    int? HttpPort,
    string Status,
    DateTimeOffset? Generation,
    bool Reachable,
    double? UptimeSeconds,
    double? CpuPercent,
    long? WorkingSetBytes,
    int? Activations,
    int? PartitionsHeld,
    double? CallsPerSecond,
    string? Problem);

public sealed record MembershipChange(DateTimeOffset At, string SiloId, string? From, string To);

public sealed record ClusterView(long? MembershipVersion, IReadOnlyList<SiloView> Silos, IReadOnlyList<MembershipChange> RecentChanges);

public sealed record SiloShare(string SiloId, int Activations, double CallsPerSecond);

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

public sealed record MethodView(
    string GrainType,
    string Method,
    double CallsPerSecond,
    double FailuresPerSecond,
    long Calls,
    long Failures,
    long Timeouts,
    double MeanMs,
    double P99Ms);

public sealed record StorageView(
    double ReadsPerSecond,
    double WritesPerSecond,
    double ReadMeanMs,
    double ReadP99Ms,
    double WriteMeanMs,
    double WriteP99Ms,
    long WriteFailures,
    long Conflicts);

/// <param name="Count">Reminders in the cluster's reminder table (read every few seconds).</param>
public sealed record RemindersView(
    long? Count,
    DateTimeOffset? NextDueAt,
    double TicksPerSecond,
    long Ticks,
    long Failures,
    double TardinessMeanMs,
    double TardinessP99Ms);

/// <param name="TokensOutstanding">Purchase tokens issued and neither used nor returned to the pool yet.</param>
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
    double SoldPerSecond);

public sealed record HotSkuView(string Sku, double ReservationsPerSecond);

public sealed record LowStockView(string Sku, int Available, int LowStockThreshold, string Level);

/// <param name="Orders">Null until an order system reports its figures (<see cref="IOrderFigures"/>).</param>
public sealed record CommerceView(
    IReadOnlyList<FlashSaleView> FlashSales,
    IReadOnlyList<HotSkuView> HotSkus,
    IReadOnlyList<LowStockView> LowStock,
    OrderFiguresView? Orders);

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
