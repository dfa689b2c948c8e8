namespace Commerce.Grains.FlashSales;

/// <summary>Flash-sale settings, bound from <c>Commerce:FlashSales</c>.</summary>
public sealed class FlashSaleOptions
{
    /// <summary>How often a live sale admits customers and expires tokens. Default 100 ms.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Period of the durable reminder that wakes a sale after a silo restart (and ends it if nobody
    /// calls). At least the silo's minimum reminder period. Default 1 minute.
    /// </summary>
    public TimeSpan WakeUpPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a buyer has to pay for a purchase (its units wait in the sale's pool meanwhile);
    /// unpaid by then, they go back to the pool for the next buyer. Default 10 minutes.
    /// </summary>
    public TimeSpan PayWithin { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an observer subscription lasts unless renewed. Default 2 minutes.</summary>
    public TimeSpan ObserverLease { get; set; } = TimeSpan.FromMinutes(2);
}
