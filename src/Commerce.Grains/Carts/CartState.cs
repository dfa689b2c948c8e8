namespace Commerce.Grains.Carts;

/// <summary>A cart's stored state (JSONB). Lines in the cart and saved for later share one list, told apart by their flag.</summary>
internal sealed class CartState
{
    public List<CartLine> Lines { get; set; } = [];

    public string? ShippingMethod { get; set; }

    public string? Region { get; set; }

    public DateTimeOffset LastActivity { get; set; }

    /// <summary>Goes up with every change, so devices can tell a newer cart from an older push.</summary>
    public long Version { get; set; }

    /// <summary>Guest carts already merged into this one: a repeated login merges once.</summary>
    public List<string> MergedGuestCarts { get; set; } = [];

    /// <summary>On a guest cart: the customer cart its lines went to, and what they were (handed over again on a retry).</summary>
    public string? HandedOverTo { get; set; }

    public List<CartLine> HandedOver { get; set; } = [];

    /// <summary>Orders whose lines were already taken out (the most recent ones), so a saga retry removes them once.</summary>
    public List<string> OrdersRemoved { get; set; } = [];

    public bool ExpiryReminderRegistered { get; set; }
}
