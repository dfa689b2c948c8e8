using Commerce.Runtime;

namespace Commerce.Grains.Orders;

/// <summary>
/// One order (the key is the order id, derived from the customer and the checkout's Idempotency-Key,
/// so a retried checkout reaches the same grain). Placing runs the checkout saga: reserve stock →
/// authorize payment → confirm → capture → confirm reservations → clear cart → order-placed, each
/// step persisted; a failure compensates, and a durable reminder resumes an interrupted saga.
/// </summary>
public interface IOrderGrain : IGrainWithStringKey
{
    /// <summary>
    /// Places the order from the customer's cart, or — for a request already seen — returns the saved
    /// answer (a different request under the same key is refused). Concurrent duplicates place once.
    /// </summary>
    Task<PlaceOrderResult> Place(PlaceOrder request);

    /// <summary>Moves the order along its state machine; an illegal transition is refused, changing nothing.</summary>
    Task<OrderResult> Transition(OrderAction action, string actor, string? note);

    /// <summary>The order, or null when none exists under this id.</summary>
    [ReadOnly]
    Task<OrderView?> Get();
}

public enum OrderStatus
{
    /// <summary>The checkout saga is running.</summary>
    Pending,
    Confirmed,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
    ReturnRequested,
    ReturnApproved,

    /// <summary>Returned: the customer got their money back and the units are back in stock.</summary>
    Refunded,
}

public enum OrderAction
{
    StartProcessing,
    Ship,
    Deliver,
    Cancel,
    RequestReturn,
    ApproveReturn,
    RefundReturn,
}

public sealed record ShippingAddress(string Name, string Line1, string? Line2, string City, string PostalCode, string Country);

/// <summary>The card as the gateway stored it: its payment method id, brand and last four digits.</summary>
public sealed record CardOnFile(string PaymentMethodId, string Brand, string Last4);

/// <param name="RequestFingerprint">A hash of the checkout request body: the same key with another body is refused.</param>
public sealed record PlaceOrder(string CustomerId, string RequestFingerprint, string ShippingMethod, string Region, ShippingAddress Address, CardOnFile Card);

public sealed record OrderLine(string Sku, string Title, int Quantity, Money UnitPrice, Money LineTotal);

public sealed record OrderEvent(OrderStatus Status, DateTimeOffset At, string Actor, string? Note);

/// <param name="InProgress">True while the checkout saga or a cancellation is still running (it finishes on its own).</param>
public sealed record OrderView(
    string OrderId,
    string CustomerId,
    OrderStatus Status,
    DateTimeOffset PlacedAt,
    IReadOnlyList<OrderLine> Lines,
    Money Subtotal,
    Money Shipping,
    Money Tax,
    Money Total,
    string ShippingMethod,
    string Region,
    ShippingAddress Address,
    string PaymentId,
    string CardBrand,
    string CardLast4,
    string? CancellationCode,
    string? CancellationReason,
    IReadOnlyList<OrderEvent> History,
    bool InProgress,
    long Version);

public enum PlaceOrderError
{
    None,

    /// <summary>The Idempotency-Key was used for a different request.</summary>
    KeyReused,
    CartEmpty,

    /// <summary>Prices changed since the customer saw them, or lines became unavailable: review the cart first.</summary>
    CartNeedsReview,
    UnknownShippingMethod,
    UnknownRegion,

    /// <summary>A line could not be reserved: the order was cancelled with nothing held.</summary>
    OutOfStock,

    /// <summary>The card was declined: the order was cancelled with nothing held or charged.</summary>
    PaymentDeclined,

    /// <summary>The order is still being placed (after an interruption it resumes on its own); ask again.</summary>
    InProgress,
}

/// <param name="Replayed">This is the saved answer to an earlier request with the same key.</param>
/// <param name="Field">The request field at fault, for the problem response.</param>
public sealed record PlaceOrderResult(PlaceOrderError Error, OrderView? Order, string? Message, string? Field, bool Replayed = false)
{
    public bool Succeeded => Error == PlaceOrderError.None;
}

public enum OrderError
{
    None,
    NotFound,

    /// <summary>The transition is not allowed from the order's status (HTTP 409).</summary>
    IllegalTransition,
}

public sealed record OrderResult(OrderError Error, OrderView? Order, string? Message = null)
{
    public bool Succeeded => Error == OrderError.None;
}

/// <summary>A row of the order index (PostgreSQL <c>order_summaries</c>): what lists of orders show.</summary>
public sealed record OrderSummary(string OrderId, string CustomerId, OrderStatus Status, Money Total, int Items, DateTimeOffset PlacedAt, DateTimeOffset UpdatedAt);

/// <summary>The event a placed order emits (journal kind <c>order-placed</c>, committed with the order's final saga state).</summary>
public sealed record OrderPlaced(string OrderId, string CustomerId, Money Total, IReadOnlyList<OrderLine> Lines, string PaymentId, DateTimeOffset At);
