using Orleans;

namespace Commerce.Grains.Inventory;

/// <summary>
/// Hold <paramref name="Quantity"/> units for <paramref name="HoldFor"/> (default 10 minutes) from one
/// warehouse: the preferred one if it has enough, else the first in the SKU's priority order that has.
/// A preferred warehouse that holds no stock of the SKU is refused. Idempotent by <paramref name="ReservationId"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Commerce.ReserveStock")]
public sealed record ReserveStock([property: Id(0)] string ReservationId, [property: Id(1)] int Quantity, [property: Id(2)] TimeSpan? HoldFor = null, [property: Id(3)] string? PreferredWarehouse = null, [property: Id(4)] string Actor = "system");

/// <summary>
/// Set <paramref name="Quantity"/> units aside without expiry (a flash sale's pool), so that regular
/// reservations cannot take them; from <paramref name="PreferredWarehouse"/> as <see cref="ReserveStock"/> does.
/// Released with <see cref="ISkuInventoryGrain.Release"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Commerce.AllocateStock")]
public sealed record AllocateStock([property: Id(0)] string AllocationId, [property: Id(1)] int Quantity, [property: Id(2)] string? PreferredWarehouse, [property: Id(3)] string Actor);

/// <summary>Moves units from an allocation into a new expiring reservation (a flash-sale purchase held for checkout).</summary>
[GenerateSerializer, Immutable, Alias("Commerce.ReserveFromAllocation")]
public sealed record ReserveFromAllocation([property: Id(0)] string AllocationId, [property: Id(1)] string ReservationId, [property: Id(2)] int Quantity, [property: Id(3)] TimeSpan? HoldFor, [property: Id(4)] string Actor);

[GenerateSerializer, Alias("Commerce.ReservationState")]
public enum ReservationState
{
    /// <summary>Units are held: reserved, not yet sold.</summary>
    Held,

    /// <summary>Turned into a sale: on-hand stock went down.</summary>
    Confirmed,

    /// <summary>Given back on request.</summary>
    Released,

    /// <summary>Given back because its hold time ran out.</summary>
    Expired,
}

/// <summary>A reservation as the caller sees it. <see cref="ExpiresAt"/> is null for allocations.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.Reservation")]
public sealed record Reservation([property: Id(0)] string ReservationId, [property: Id(1)] string WarehouseId, [property: Id(2)] int Quantity, [property: Id(3)] ReservationState State, [property: Id(4)] DateTimeOffset? ExpiresAt);

[GenerateSerializer, Alias("Commerce.ReservationError")]
public enum ReservationError
{
    None,

    /// <summary>No single warehouse has enough available stock (and backorders are off).</summary>
    InsufficientStock,

    /// <summary>The SKU is not in the catalog.</summary>
    UnknownSku,

    /// <summary>No reservation (or allocation) has this id.</summary>
    NotFound,

    /// <summary>The id is taken by a reservation of another quantity.</summary>
    QuantityMismatch,

    /// <summary>Release of a reservation that was already confirmed.</summary>
    AlreadyConfirmed,

    /// <summary>Confirmation of a reservation that was already released or expired.</summary>
    AlreadyEnded,

    /// <summary>The preferred warehouse holds no stock of this SKU.</summary>
    UnknownWarehouse,
}

[GenerateSerializer, Immutable, Alias("Commerce.ReservationResult")]
public sealed record ReservationResult([property: Id(0)] ReservationError Error, [property: Id(1)] Reservation? Reservation, [property: Id(2)] string? Message = null)
{
    public bool Succeeded => Error == ReservationError.None;

    public static ReservationResult Ok(Reservation reservation) => new(ReservationError.None, reservation);

    public static ReservationResult Fail(ReservationError error, string message, Reservation? reservation = null) => new(error, reservation, message);
}
