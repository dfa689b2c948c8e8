namespace Commerce.Grains.Inventory;

/// <summary>
/// Hold <paramref name="Quantity"/> units for <paramref name="HoldFor"/> (default 10 minutes) from one
/// warehouse: the preferred one if it has enough, else the first in the SKU's priority order that has.
/// Idempotent by <paramref name="ReservationId"/>.
/// </summary>
public sealed record ReserveStock(string ReservationId, int Quantity, TimeSpan? HoldFor = null, string? PreferredWarehouse = null, string Actor = "system");

/// <summary>
/// Set <paramref name="Quantity"/> units aside without expiry (a flash sale's pool), so that regular
/// reservations cannot take them. Released with <see cref="ISkuInventoryGrain.Release"/>.
/// </summary>
public sealed record AllocateStock(string AllocationId, int Quantity, string? PreferredWarehouse, string Actor);

/// <summary>Moves units from an allocation into a new expiring reservation (a flash-sale purchase held for checkout).</summary>
public sealed record ReserveFromAllocation(string AllocationId, string ReservationId, int Quantity, TimeSpan? HoldFor, string Actor);

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
public sealed record Reservation(string ReservationId, string WarehouseId, int Quantity, ReservationState State, DateTimeOffset? ExpiresAt);

public enum ReservationError
{
    None,

    /// <summary>No single warehouse has enough available stock (and backorders are off).</summary>
    InsufficientStock,

    /// <summary>Nothing was ever received or configured for this SKU.</summary>
    UnknownSku,

    /// <summary>No reservation (or allocation) has this id.</summary>
    NotFound,

    /// <summary>The id is taken by a reservation of another quantity.</summary>
    QuantityMismatch,

    /// <summary>Release of a reservation that was already confirmed.</summary>
    AlreadyConfirmed,

    /// <summary>Confirmation of a reservation that was already released or expired.</summary>
    AlreadyEnded,
}

public sealed record ReservationResult(ReservationError Error, Reservation? Reservation, string? Message = null)
{
    public bool Succeeded => Error == ReservationError.None;

    public static ReservationResult Ok(Reservation reservation) => new(ReservationError.None, reservation);

    public static ReservationResult Fail(ReservationError error, string message, Reservation? reservation = null) => new(error, reservation, message);
}
