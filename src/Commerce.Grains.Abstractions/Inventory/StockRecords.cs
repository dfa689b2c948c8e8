using Orleans;

namespace Commerce.Grains.Inventory;

/// <summary>How a SKU's availability looks to a shopper: coarse on purpose, never an exact count.</summary>
[GenerateSerializer, Alias("Commerce.StockLevel")]
public enum StockLevel
{
    InStock,
    Low,
    OutOfStock,
}

/// <summary>One warehouse's stock of a SKU. Reserved counts units held for carts, checkouts and flash sales.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.WarehouseStock")]
public sealed record WarehouseStock([property: Id(0)] string WarehouseId, [property: Id(1)] int OnHand, [property: Id(2)] int Reserved)
{
    public int Available => OnHand - Reserved;
}

/// <summary>A SKU's stock across its warehouses, with the settings that govern it.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.StockSnapshot")]
public sealed record StockSnapshot(
    [property: Id(0)] string Sku,
    [property: Id(1)] IReadOnlyList<WarehouseStock> Warehouses,
    [property: Id(2)] IReadOnlyList<string> WarehousePriority,
    [property: Id(3)] int LowStockThreshold,
    [property: Id(4)] bool BackorderAllowed,
    [property: Id(5)] int ActiveHolds)
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
[GenerateSerializer, Immutable, Alias("Commerce.ReceiveStock")]
public sealed record ReceiveStock([property: Id(0)] string WarehouseId, [property: Id(1)] int Quantity, [property: Id(2)] string Actor, [property: Id(3)] string? Note = null, [property: Id(4)] string? OperationId = null);

/// <summary>Operator: a correction of on-hand stock (count, damage, loss), always with a reason.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.AdjustStock")]
public sealed record AdjustStock([property: Id(0)] string WarehouseId, [property: Id(1)] int Delta, [property: Id(2)] string Reason, [property: Id(3)] string Actor, [property: Id(4)] string? OperationId = null);

/// <summary>Operator: the settings of a SKU. A null priority keeps the current order.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.ConfigureStock")]
public sealed record ConfigureStock([property: Id(0)] int LowStockThreshold, [property: Id(1)] bool BackorderAllowed, [property: Id(2)] IReadOnlyList<string>? WarehousePriority, [property: Id(3)] string Actor);

[GenerateSerializer, Alias("Commerce.StockChangeError")]
public enum StockChangeError
{
    None,

    /// <summary>The SKU is not in the catalog.</summary>
    UnknownSku,

    /// <summary>The warehouse holds no stock of this SKU.</summary>
    UnknownWarehouse,

    /// <summary>The change would take on-hand stock below zero, or available stock below zero without backorders.</summary>
    InsufficientStock,

    /// <summary>The operation id was already used for a different change.</summary>
    OperationMismatch,
}

/// <summary>The outcome of an operator action; <see cref="Replayed"/> when a retry found it already applied.</summary>
/// <param name="Field">The request field a refusal is about (<c>warehouseId</c>, <c>warehousePriority[2]</c>), named as the HTTP API names it.</param>
[GenerateSerializer, Immutable, Alias("Commerce.StockChangeResult")]
public sealed record StockChangeResult(
    [property: Id(0)] StockChangeError Error, [property: Id(1)] StockSnapshot? Stock, [property: Id(2)] string? Message = null, [property: Id(3)] bool Replayed = false,
    [property: Id(4)] string? Field = null)
{
    public bool Succeeded => Error == StockChangeError.None;
}
