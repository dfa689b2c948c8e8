using Commerce.Grains.Payments;
using Orleans;
using Orleans.Concurrency;

namespace Commerce.Grains.Orders;

/// <summary>
/// One order (the key is the order id, derived from the customer and the checkout's Idempotency-Key,
/// so a retried checkout reaches the same grain), of the customer's cart or of one flash-sale
/// purchase. Placing runs the checkout saga: reserve stock (a flash sale: claim the purchase) →
/// authorize payment → confirm → capture → confirm reservations → clear cart → order-placed, each
/// step persisted; a failure compensates, and a durable reminder resumes an interrupted saga.
/// </summary>
[Alias("Commerce.IOrderGrain")]
public interface IOrderGrain : IGrainWithStringKey
{
    /// <summary>
    /// Places the order from the customer's cart, or — for a request already seen — returns the saved
    /// answer (a different request under the same key is refused). Concurrent duplicates place once.
    /// </summary>
    [ResponseTimeout(SlowCall.Timeout)]
    Task<PlaceOrderResult> Place(PlaceOrder request);

    /// <summary>Moves the order along its state machine; an illegal transition is refused, changing nothing.</summary>
    [ResponseTimeout(SlowCall.Timeout)]
    Task<OrderResult> Transition(OrderAction action, string actor, string? note);

    /// <summary>The order, or null when none exists under this id.</summary>
    [ReadOnly]
    Task<OrderView?> Get();

    /// <summary>
    /// Runs a waiting saga on at once: the payment calls this when the customer's authentication
    /// (3-D Secure) was reported. One-way, since the saga calls that payment in turn; the saga's
    /// reminder does the same later if this is lost.
    /// </summary>
    [OneWay]
    Task ResumeSaga();
}

[GenerateSerializer, Alias("Commerce.OrderStatus")]
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

[GenerateSerializer, Alias("Commerce.OrderAction")]
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

[GenerateSerializer, Immutable, Alias("Commerce.ShippingAddress")]
public sealed record ShippingAddress([property: Id(0)] string Name, [property: Id(1)] string Line1, [property: Id(2)] string? Line2, [property: Id(3)] string City, [property: Id(4)] string PostalCode, [property: Id(5)] string Country);

/// <summary>The card as the gateway stored it: its payment method id, brand and last four digits.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.CardOnFile")]
public sealed record CardOnFile([property: Id(0)] string PaymentMethodId, [property: Id(1)] string Brand, [property: Id(2)] string Last4);

/// <summary>A flash-sale purchase an order pays for.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.FlashSalePurchaseRef")]
public sealed record FlashSalePurchaseRef([property: Id(0)] string SaleId, [property: Id(1)] string PurchaseId);

/// <param name="RequestFingerprint">A hash of the checkout request body: the same key with another body is refused.</param>
/// <param name="FlashSale">Set: the order pays for this flash-sale purchase at the sale's price, and the cart is left alone.</param>
[GenerateSerializer, Immutable, Alias("Commerce.PlaceOrder")]
public sealed record PlaceOrder(
    [property: Id(0)] string CustomerId,
    [property: Id(1)] string RequestFingerprint,
    [property: Id(2)] string ShippingMethod,
    [property: Id(3)] string Region,
    [property: Id(4)] ShippingAddress Address,
    [property: Id(5)] CardOnFile Card,
    [property: Id(6)] FlashSalePurchaseRef? FlashSale = null);

[GenerateSerializer, Immutable, Alias("Commerce.OrderLine")]
public sealed record OrderLine([property: Id(0)] string Sku, [property: Id(1)] string Title, [property: Id(2)] int Quantity, [property: Id(3)] Money UnitPrice, [property: Id(4)] Money LineTotal);

[GenerateSerializer, Immutable, Alias("Commerce.OrderEvent")]
public sealed record OrderEvent([property: Id(0)] OrderStatus Status, [property: Id(1)] DateTimeOffset At, [property: Id(2)] string Actor, [property: Id(3)] string? Note);

/// <param name="InProgress">True while the checkout saga or a cancellation is still running (it finishes on its own).</param>
/// <param name="PaymentAction">Set while the checkout waits for the customer to authenticate the payment (3-D Secure): what their browser needs.</param>
[GenerateSerializer, Immutable, Alias("Commerce.OrderView")]
public sealed record OrderView(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string CustomerId,
    [property: Id(2)] OrderStatus Status,
    [property: Id(3)] DateTimeOffset PlacedAt,
    [property: Id(4)] IReadOnlyList<OrderLine> Lines,
    [property: Id(5)] Money Subtotal,
    [property: Id(6)] Money Shipping,
    [property: Id(7)] Money Tax,
    [property: Id(8)] Money Total,
    [property: Id(9)] string ShippingMethod,
    [property: Id(10)] string Region,
    [property: Id(11)] ShippingAddress Address,
    [property: Id(12)] string PaymentId,
    [property: Id(13)] string CardBrand,
    [property: Id(14)] string CardLast4,
    [property: Id(15)] string? CancellationCode,
    [property: Id(16)] string? CancellationReason,
    [property: Id(17)] IReadOnlyList<OrderEvent> History,
    [property: Id(18)] bool InProgress,
    [property: Id(19)] long Version,
    [property: Id(20)] FlashSalePurchaseRef? FlashSale,
    [property: Id(21)] PaymentAction? PaymentAction = null);

[GenerateSerializer, Alias("Commerce.PlaceOrderError")]
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

    /// <summary>The customer has no such flash-sale purchase.</summary>
    UnknownPurchase,

    /// <summary>The flash-sale purchase was not paid in time: its units went back to the sale.</summary>
    PurchaseExpired,

    /// <summary>The flash-sale purchase is paid already, by another order.</summary>
    PurchasePaid,

    /// <summary>Another checkout of the flash-sale purchase is under way.</summary>
    PurchaseInCheckout,
}

/// <param name="Replayed">This is the saved answer to an earlier request with the same key.</param>
/// <param name="Field">The request field at fault, for the problem response.</param>
/// <param name="DeclineCode">A declined payment: the provider's decline code (<c>card_declined</c>, <c>insufficient_funds</c>, ...).</param>
[GenerateSerializer, Immutable, Alias("Commerce.PlaceOrderResult")]
public sealed record PlaceOrderResult([property: Id(0)] PlaceOrderError Error, [property: Id(1)] OrderView? Order, [property: Id(2)] string? Message, [property: Id(3)] string? Field, [property: Id(4)] bool Replayed = false,
    [property: Id(5)] string? DeclineCode = null)
{
    public bool Succeeded => Error == PlaceOrderError.None;
}

[GenerateSerializer, Alias("Commerce.OrderError")]
public enum OrderError
{
    None,
    NotFound,

    /// <summary>The transition is not allowed from the order's status (HTTP 409).</summary>
    IllegalTransition,

    /// <summary>Shipping needed the card charged, and the provider refused the capture: the order did not ship.</summary>
    PaymentNotCaptured,
}

[GenerateSerializer, Immutable, Alias("Commerce.OrderResult")]
public sealed record OrderResult([property: Id(0)] OrderError Error, [property: Id(1)] OrderView? Order, [property: Id(2)] string? Message = null)
{
    public bool Succeeded => Error == OrderError.None;
}

/// <summary>A row of the order index (PostgreSQL <c>order_summaries</c>): what lists of orders show.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.OrderSummary")]
public sealed record OrderSummary([property: Id(0)] string OrderId, [property: Id(1)] string CustomerId, [property: Id(2)] OrderStatus Status, [property: Id(3)] Money Total, [property: Id(4)] int Items, [property: Id(5)] DateTimeOffset PlacedAt, [property: Id(6)] DateTimeOffset UpdatedAt);

/// <summary>The event a placed order emits (journal kind <c>order-placed</c>, committed with the order's final saga state).</summary>
[GenerateSerializer, Immutable, Alias("Commerce.OrderPlaced")]
public sealed record OrderPlaced([property: Id(0)] string OrderId, [property: Id(1)] string CustomerId, [property: Id(2)] Money Total, [property: Id(3)] IReadOnlyList<OrderLine> Lines, [property: Id(4)] string PaymentId, [property: Id(5)] DateTimeOffset At);
