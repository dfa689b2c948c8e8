namespace Commerce.Grains.Carts;

/// <summary>A way to ship: its price, and the subtotal from which it is free (null: never free).</summary>
public sealed class ShippingMethodOptions
{
    public decimal Price { get; set; }

    public decimal? FreeFrom { get; set; }
}

/// <summary>What carts and checkout charge, bound from <c>Commerce:Checkout</c>.</summary>
public sealed class CheckoutOptions
{
    /// <summary>The store's currency (ISO 4217): carts take SKUs priced in it, and shipping is priced in it. Default EUR.</summary>
    public string Currency { get; set; } = "EUR";

    /// <summary>
    /// Tax rate by region code (country, or country-subdivision such as US-CA), applied to subtotal
    /// plus shipping. Configuration adds to or overrides these defaults; a checkout to a region not
    /// listed is refused.
    /// </summary>
    public Dictionary<string, decimal> TaxRates { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["DE"] = 0.19m,
        ["FR"] = 0.20m,
        ["NL"] = 0.21m,
        ["IT"] = 0.22m,
        ["ES"] = 0.21m,
        ["GB"] = 0.20m,
        ["US-CA"] = 0.0725m,
        ["US-NY"] = 0.04m,
        ["US-OR"] = 0m,
    };

    /// <summary>Shipping methods by name. Defaults: standard 4.95 (free from 50), express 9.95 (free from 150), next-day 19.95.</summary>
    public Dictionary<string, ShippingMethodOptions> ShippingMethods { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["standard"] = new() { Price = 4.95m, FreeFrom = 50m },
        ["express"] = new() { Price = 9.95m, FreeFrom = 150m },
        ["next-day"] = new() { Price = 19.95m },
    };

    /// <summary>The method a new cart's totals use.</summary>
    public string DefaultShippingMethod { get; set; } = "standard";

    /// <summary>Why goods cannot ship by <paramref name="method"/> to <paramref name="region"/> (a null region is not chosen yet), or null when they can.</summary>
    public (CartError Error, string Message, string Field)? ShippingRefusal(string method, string? region) =>
        !ShippingMethods.ContainsKey(method) ? (CartError.UnknownShippingMethod, $"Shipping methods: {string.Join(", ", ShippingMethods.Keys)}.", "shippingMethod")
        : region is not null && !TaxRates.ContainsKey(region) ? (CartError.UnknownRegion, $"We do not ship to region '{region}'.", "region")
        : null;

    /// <summary>
    /// What goods worth <paramref name="subtotal"/> cost shipped: shipping is free from the method's
    /// threshold; tax applies to subtotal plus shipping, rounded to the cent. The method must be known.
    /// </summary>
    public CartTotals Totals(decimal subtotal, string method, string? region)
    {
        var shipping = ShippingMethods[method];
        var shippingPrice = subtotal == 0 || (shipping.FreeFrom is { } free && subtotal >= free) ? 0m : shipping.Price;
        var rate = region is not null && TaxRates.TryGetValue(region, out var r) ? r : 0m;
        var tax = Math.Round((subtotal + shippingPrice) * rate, 2, MidpointRounding.AwayFromZero);
        return new CartTotals(InStoreCurrency(subtotal), InStoreCurrency(shippingPrice), InStoreCurrency(tax), InStoreCurrency(subtotal + shippingPrice + tax), method, region, rate,
            shipping.FreeFrom is { } from ? InStoreCurrency(from) : null);
    }

    public Money InStoreCurrency(decimal amount) => new(amount, Currency);

    /// <summary>These options as storefronts are told them: shipping methods cheapest first, regions as configured.</summary>
    public CheckoutTerms Terms() => new(Currency, DefaultShippingMethod,
        [.. ShippingMethods.OrderBy(m => m.Value.Price).ThenBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => new ShippingMethodTerms(m.Key, InStoreCurrency(m.Value.Price), m.Value.FreeFrom is { } free ? InStoreCurrency(free) : null))],
        [.. TaxRates.Select(r => new TaxRegionTerms(r.Key, r.Value))]);
}

/// <summary>Cart rules, bound from <c>Commerce:Carts</c>.</summary>
public sealed class CartOptions
{
    /// <summary>Most units of one SKU in a cart line, unless the SKU sets its own purchase limit. Default 10.</summary>
    public int MaxQuantityPerLine { get; set; } = 10;

    /// <summary>A cart without activity this long is emptied. Default 30 days.</summary>
    public TimeSpan ExpireAfter { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long an observer (a gateway node pushing to devices) stays subscribed unless renewed. Default 2 minutes.</summary>
    public TimeSpan ObserverLease { get; set; } = TimeSpan.FromMinutes(2);
}
