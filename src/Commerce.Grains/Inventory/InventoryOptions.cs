namespace Commerce.Grains.Inventory;

/// <summary>SKU inventory settings, bound from <c>Commerce:Inventory</c>.</summary>
public sealed class InventoryOptions
{
    /// <summary>How long a reservation holds stock when the caller does not say. Default 10 minutes.</summary>
    public TimeSpan DefaultHoldFor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long finished reservations and applied operation ids are remembered, so retries stay idempotent. Default 24 hours.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Period of the reminder that wakes a SKU holding expiring reservations after a restart or an
    /// idle collection (expiry itself runs on a timer due at the earliest expiry). At least Orleans'
    /// minimum reminder period. Default 1 minute.
    /// </summary>
    public TimeSpan ExpiryBackstopPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The most often a SKU publishes its available units on the catalog-change stream (the latest level
    /// of the interval wins), so that a burst of reservations is one event, not one per reservation. Default 500 ms.
    /// </summary>
    public TimeSpan StockPublishInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long an observer subscription lasts unless renewed. Default 2 minutes.</summary>
    public TimeSpan ObserverLease { get; set; } = TimeSpan.FromMinutes(2);
}
