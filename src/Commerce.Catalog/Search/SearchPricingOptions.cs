namespace Commerce.Catalog.Search;

/// <summary>
/// The currency search prices products in: the store's, read from the setting carts and checkout use
/// (<c>Commerce:Checkout:Currency</c>, default EUR), since carts sell only SKUs priced in it. A product's price in
/// search (its hits' prices, the price facet, the price filter and sorts) comes from its active SKUs in that currency;
/// a product with none has no price there.
/// </summary>
public sealed class SearchPricingOptions
{
    public const string Section = "Commerce:Checkout";

    public string Currency { get; set; } = "EUR";
}
