using Commerce.Grains;

namespace Commerce.Catalog;

/// <summary>A product: what a shopper browses. Its SKUs are what they buy.</summary>
public sealed record Product(string ProductId, string Title, string Description, string? Brand, bool Active, IReadOnlyList<Sku> Skus);

/// <summary>
/// A purchasable variant of a product with its options (size, colour...), price and currency.
/// <paramref name="PurchaseLimit"/> caps the quantity per cart line; null means the store's default.
/// </summary>
public sealed record Sku(string Code, string ProductId, string Title, IReadOnlyDictionary<string, string> Options, Money Price, bool Active, int? PurchaseLimit);

public sealed record ProductDraft(string ProductId, string Title, string Description, string? Brand, bool Active);

public sealed record SkuDraft(string Code, string ProductId, string Title, IReadOnlyDictionary<string, string> Options, Money Price, bool Active, int? PurchaseLimit);

/// <summary>One page of products by id; pass <paramref name="NextAfter"/> for the next.</summary>
public sealed record ProductPage(IReadOnlyList<Product> Products, string? NextAfter);
