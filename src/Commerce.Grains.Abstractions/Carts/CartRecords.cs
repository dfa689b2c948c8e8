using Orleans;

namespace Commerce.Grains.Carts;

/// <summary>A stored line: a SKU, its quantity and the unit price the customer saw when adding it.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.CartLine")]
public sealed record CartLine([property: Id(0)] string Sku, [property: Id(1)] int Quantity, [property: Id(2)] Money PriceSeen, [property: Id(3)] bool SavedForLater);

/// <summary>
/// A line as the customer sees it. <paramref name="CurrentPrice"/> is null when the SKU left the
/// catalog; <paramref name="PriceChanged"/> when it differs from <paramref name="PriceSeen"/>;
/// <paramref name="Unavailable"/> when the SKU is inactive, gone, or out of stock.
/// </summary>
[GenerateSerializer, Immutable, Alias("Commerce.CartLineView")]
public sealed record CartLineView(
    [property: Id(0)] string Sku,
    [property: Id(1)] string Title,
    [property: Id(2)] int Quantity,
    [property: Id(3)] int Limit,
    [property: Id(4)] Money PriceSeen,
    [property: Id(5)] Money? CurrentPrice,
    [property: Id(6)] bool PriceChanged,
    [property: Id(7)] bool Unavailable,
    [property: Id(8)] string? UnavailableReason,
    [property: Id(9)] Money LineTotal);

/// <param name="FreeShippingFrom">The subtotal from which the chosen method ships free, if it ever does.</param>
[GenerateSerializer, Immutable, Alias("Commerce.CartTotals")]
public sealed record CartTotals([property: Id(0)] Money Subtotal, [property: Id(1)] Money Shipping, [property: Id(2)] Money Tax, [property: Id(3)] Money Total, [property: Id(4)] string ShippingMethod, [property: Id(5)] string? Region, [property: Id(6)] decimal TaxRate, [property: Id(7)] Money? FreeShippingFrom);

[GenerateSerializer, Immutable, Alias("Commerce.CartView")]
public sealed record CartView(
    [property: Id(0)] string CartId,
    [property: Id(1)] long Version,
    [property: Id(2)] IReadOnlyList<CartLineView> Lines,
    [property: Id(3)] IReadOnlyList<CartLineView> SavedForLater,
    [property: Id(4)] CartTotals Totals,
    [property: Id(5)] bool HasPriceChanges,
    [property: Id(6)] bool HasUnavailableItems,
    [property: Id(7)] DateTimeOffset? ExpiresAt);

[GenerateSerializer, Alias("Commerce.CartError")]
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
[GenerateSerializer, Immutable, Alias("Commerce.CartResult")]
public sealed record CartResult([property: Id(0)] CartError Error, [property: Id(1)] CartView? Cart, [property: Id(2)] string? Message = null, [property: Id(3)] string? Field = null)
{
    public bool Succeeded => Error == CartError.None;
}

/// <summary>What checkout would buy now: the cart lines priced at current prices, with totals and the cart's warnings.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.CheckoutQuote")]
public sealed record CheckoutQuote(
    [property: Id(0)] IReadOnlyList<QuotedLine> Lines,
    [property: Id(1)] CartTotals Totals,
    [property: Id(2)] CartError Error,
    [property: Id(3)] string? Message,
    [property: Id(4)] bool HasPriceChanges,
    [property: Id(5)] bool HasUnavailableItems);

/// <param name="UnavailableReason">Why the line cannot be bought now (<c>out-of-stock</c>, <c>not-for-sale</c>, <c>removed-from-catalog</c>), else null.</param>
[GenerateSerializer, Immutable, Alias("Commerce.QuotedLine")]
public sealed record QuotedLine([property: Id(0)] string Sku, [property: Id(1)] string Title, [property: Id(2)] int Quantity, [property: Id(3)] Money UnitPrice, [property: Id(4)] Money LineTotal, [property: Id(5)] Money PriceSeen, [property: Id(6)] bool PriceChanged, [property: Id(7)] string? UnavailableReason);

/// <summary>A way to ship and its price; from <paramref name="FreeFrom"/> (a subtotal) it ships free, null: never.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.ShippingMethodTerms")]
public sealed record ShippingMethodTerms([property: Id(0)] string Method, [property: Id(1)] Money Price, [property: Id(2)] Money? FreeFrom);

/// <summary>A tax region the shop ships to (a country, or a subdivision such as US-CA) and its rate on subtotal plus shipping.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.TaxRegionTerms")]
public sealed record TaxRegionTerms([property: Id(0)] string Region, [property: Id(1)] decimal TaxRate);

/// <summary>What carts and checkout accept and charge: the store's currency, shipping methods (cheapest first) and regions.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.CheckoutTerms")]
public sealed record CheckoutTerms(
    [property: Id(0)] string Currency,
    [property: Id(1)] string DefaultShippingMethod,
    [property: Id(2)] IReadOnlyList<ShippingMethodTerms> ShippingMethods,
    [property: Id(3)] IReadOnlyList<TaxRegionTerms> Regions);
