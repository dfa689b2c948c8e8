namespace Commerce.Grains.Carts;

/// <summary>A stored line: a SKU, its quantity and the unit price the customer saw when adding it.</summary>
public sealed record CartLine(string Sku, int Quantity, Money PriceSeen, bool SavedForLater);

/// <summary>
/// A line as the customer sees it. <paramref name="CurrentPrice"/> is null when the SKU left the
/// catalog; <paramref name="PriceChanged"/> when it differs from <paramref name="PriceSeen"/>;
/// <paramref name="Unavailable"/> when the SKU is inactive, gone, or out of stock.
/// </summary>
public sealed record CartLineView(
    string Sku,
    string Title,
    int Quantity,
    int Limit,
    Money PriceSeen,
    Money? CurrentPrice,
    bool PriceChanged,
    bool Unavailable,
    string? UnavailableReason,
    Money LineTotal);

/// <param name="FreeShippingFrom">The subtotal from which the chosen method ships free, if it ever does.</param>
public sealed record CartTotals(Money Subtotal, Money Shipping, Money Tax, Money Total, string ShippingMethod, string? Region, decimal TaxRate, Money? FreeShippingFrom);

public sealed record CartView(
    string CartId,
    long Version,
    IReadOnlyList<CartLineView> Lines,
    IReadOnlyList<CartLineView> SavedForLater,
    CartTotals Totals,
    bool HasPriceChanges,
    bool HasUnavailableItems,
    DateTimeOffset? ExpiresAt);

public enum CartError
{
    None,
    UnknownSku,
    InactiveSku,
    QuantityOutOfRange,
    CurrencyNotSold,
    LineNotFound,
    UnknownShippingMethod,
    UnknownRegion,
}

/// <param name="Field">The request field at fault, for the problem response.</param>
public sealed record CartResult(CartError Error, CartView? Cart, string? Message = null, string? Field = null)
{
    public bool Succeeded => Error == CartError.None;
}

/// <summary>What checkout would buy now: the cart lines priced at current prices, with totals and the cart's warnings.</summary>
public sealed record CheckoutQuote(
    IReadOnlyList<QuotedLine> Lines,
    CartTotals Totals,
    CartError Error,
    string? Message,
    bool HasPriceChanges,
    bool HasUnavailableItems);

/// <param name="UnavailableReason">Why the line cannot be bought now (<c>out-of-stock</c>, <c>not-for-sale</c>, <c>removed-from-catalog</c>), else null.</param>
public sealed record QuotedLine(string Sku, string Title, int Quantity, Money UnitPrice, Money LineTotal, Money PriceSeen, bool PriceChanged, string? UnavailableReason);
