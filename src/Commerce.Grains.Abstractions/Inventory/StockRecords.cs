namespace Commerce.Grains.Inventory;

/// <summary>How a SKU's availability looks to a shopper: coarse on purpose, never an exact count.</summary>
public enum StockLevel
{
    InStock,
    Low,
    OutOfStock,
}

/// <summary>One warehouse's stock of a SKU. Reserved counts units held for carts, checkouts and flash sales.</summary>
public sealed record WarehouseStock(string WarehouseId, int OnHand, int Reserved)
{
    public int Available => OnHand - Reserved;
}

/// <summary>A SKU's stock across its warehouses, with the settings that govern it.</summary>
public sealed record StockSnapshot(
    string Sku,
    IReadOnlyList<WarehouseStock> Warehouses,
    IReadOnlyList<string> WarehousePriority,
    int LowStockThreshold,
    bool BackorderAllowed,
    int ActiveHolds)
{
    public int OnHand => Warehouses.Sum(w => w.OnHand);

    public int Reserved => Warehouses.Sum(w => w.Reserved);

    public int Available => OnHand - Reserved;

    public StockLevel Level => LevelOf(Available, LowStockThreshold);

    public static StockLevel LevelOf(int available, int lowStockThreshold) =>
        available <= 0 ? StockLevel.OutOfStock
        : available <= lowStockThreshold ? StockLevel.Low
        : StockLevel.InStock;
}

/// <summary>Operator: units arrived at a warehouse (a new warehouse starts existing here).</summary>
/// <param name="OperationId">Makes a retried receipt count once (the gateway passes the Idempotency-Key).</param>
public sealed record ReceiveStock(string WarehouseId, int Quantity, string Actor, string? Note = null, string? OperationId = null);

/// <summary>Operator: a correction of on-hand stock (count, damage, loss), always with a reason.</summary>
public sealed record AdjustStock(string WarehouseId, int Delta, string Reason, string Actor, string? OperationId = null);

/// <summary>Operator: the settings of a SKU. A null priority keeps the current order.</summary>
public sealed record ConfigureStock(int LowStockThreshold, bool BackorderAllowed, IReadOnlyList<string>? WarehousePriority, string Actor);

public enum StockChangeError
{
    None,

    /// <summary>Nothing was ever received or configured for this SKU.</summary>
    UnknownSku,

    /// <summary>The warehouse holds no stock of this SKU.</summary>
    UnknownWarehouse,

    /// <summary>The change would take on-hand stock below zero, or available stock below zero without backorders.</summary>
    InsufficientStock,

    /// <summary>The operation id was already used for a different change.</summary>
    OperationMismatch,
}

/// <summary>The outcome of an operator action; <see cref="Replayed"/> when a retry found it already applied.</summary>
public sealed record StockChangeResult(StockChangeError Error, StockSnapshot? Stock, string? Message = null, bool Replayed = false)
{
    public bool Succeeded => Error == StockChangeError.None;
}
