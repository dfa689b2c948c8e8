using Commerce.Grains.Payments;

namespace Commerce.Grains.Orders;

/// <summary>An order's stored state (JSONB): what was bought, where the saga is, and the answer given to the checkout request.</summary>
internal sealed class OrderState
{
    public bool Exists { get; set; }

    public string CustomerId { get; set; } = "";

    public string RequestFingerprint { get; set; } = "";

    public DateTimeOffset PlacedAt { get; set; }

    public List<OrderLine> Lines { get; set; } = [];

    /// <summary>The card is charged when the order ships, not when it is confirmed (<see cref="OrderOptions.CaptureAt"/> at placement).</summary>
    public bool CaptureAtShipment { get; set; }

    /// <summary>Set when the order pays for a flash-sale purchase instead of a cart.</summary>
    public FlashSalePurchaseRef? FlashSale { get; set; }

    public Money Subtotal { get; set; } = new(0, "EUR");

    public Money Shipping { get; set; } = new(0, "EUR");

    public Money Tax { get; set; } = new(0, "EUR");

    public Money Total { get; set; } = new(0, "EUR");

    public string ShippingMethod { get; set; } = "";

    public string Region { get; set; } = "";

    public ShippingAddress Address { get; set; } = new("", "", null, "", "", "");

    public CardOnFile Card { get; set; } = new("", "", "");

    public OrderStatus Status { get; set; }

    /// <summary>The next saga step to run; <see cref="SagaStep.Done"/> when nothing is in flight.</summary>
    public SagaStep Step { get; set; }

    /// <summary>While unwinding (compensation): the status the order ends in.</summary>
    public OrderStatus? UnwindTo { get; set; }

    /// <summary>While unwinding: who asked for it (a customer, an operator, or the saga itself); the ending transition is theirs.</summary>
    public string? UnwindActor { get; set; }

    /// <summary>While the saga waits at AuthorizePayment for the customer's authentication (3-D Secure): what their browser needs.</summary>
    public PaymentAction? PaymentAction { get; set; }

    /// <summary>When the saga began waiting for the customer's authentication; it gives up after <see cref="OrderOptions.AuthenticationTimeout"/>.</summary>
    public DateTimeOffset? AwaitingCustomerSince { get; set; }

    public string? CancellationCode { get; set; }

    public string? CancellationReason { get; set; }

    /// <summary>The answer to the checkout request, saved when placement finished: repeats of the request get it.</summary>
    public PlaceOrderResult? Response { get; set; }

    public List<OrderEvent> History { get; set; } = [];

    public long Version { get; set; }
}
