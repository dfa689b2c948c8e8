namespace Commerce.Bench.Inventory;

/// <summary>
/// One way to reserve stock, durable before it answers (unless <see cref="Durable"/> says otherwise):
/// prepared with stock for every SKU, driven by many concurrent clients, then audited from the
/// store's own records.
/// </summary>
internal interface IReservationApproach : IAsyncDisposable
{
    string Name { get; }

    bool Durable { get; }

    /// <summary>Gives every SKU <paramref name="stockPerSku"/> units (not timed).</summary>
    Task PrepareAsync(IReadOnlyList<string> skus, int stockPerSku);

    /// <summary>Reserves one unit; true when the store acknowledged it, false when it refused (out of stock).</summary>
    Task<bool> ReserveAsync(string sku, string reservationId);

    /// <summary>
    /// Reads back what the store recorded: how many units it holds as reserved over all SKUs, and
    /// how many units beyond a SKU's stock were handed out (summed over SKUs).
    /// </summary>
    Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku);
}

/// <param name="Reserved">Units the store's records say were reserved.</param>
/// <param name="Oversold">Units reserved beyond the stock, summed over SKUs.</param>
/// <param name="Problem">Any inconsistency found inside the store's own records.</param>
internal sealed record Audit(long Reserved, long Oversold, string? Problem = null);

/// <summary>
/// An approach whose store is a grain in a silo process: the bench reads that process's CPU from
/// /proc and counts its commits from the stored state's versions (one more per commit), so the
/// group commit shows without asking the silo anything.
/// </summary>
internal interface IGrainApproach
{
    int SiloProcessId { get; }

    /// <summary>The sum of the stored versions of every grain state the approach writes: it grows by one per commit.</summary>
    Task<long> StoredVersionsAsync();
}
