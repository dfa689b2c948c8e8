namespace Commerce.Gateway.Dashboard;

/// <summary>How the operator dashboard samples the cluster, bound from <c>Commerce:Dashboard</c>.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Commerce:Dashboard";

    /// <summary>Time between two readings of every silo's telemetry: one chart point. Default 1 second.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Chart points kept for a page that opens. Default 100.</summary>
    public int HistoryLength { get; set; } = 100;

    /// <summary>
    /// Sampling stops when no operator asked for the dashboard for this long, so a silo nobody watches
    /// pays nothing for it. Default 1 minute.
    /// </summary>
    public TimeSpan IdleAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long to wait for a silo's statistics and telemetry before showing it as unreachable. Default 800 ms.</summary>
    public TimeSpan SiloTimeout { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Time between reads of flash sales and SKU activity (grain calls and one ledger query). Default 2 seconds.</summary>
    public TimeSpan CommerceInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time between scans for low-stock SKUs and the reminder count (queries over whole tables). Default 10 seconds.</summary>
    public TimeSpan SlowQueryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>SKUs listed as hottest and as low on stock, and flash sales shown. Default 10.</summary>
    public int ListLength { get; set; } = 10;
}
