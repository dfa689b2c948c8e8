using System.Text.Json;
using Commerce.Grains;

namespace Commerce.Catalog;

/// <summary>
/// A product: what a shopper browses. Its SKUs are what they buy. <paramref name="Attributes"/> are its values of its
/// category's typed attributes; <paramref name="VariantOptions"/> the option values its variant SKUs are built from.
/// </summary>
public sealed record Product(
    string ProductId, string Title, string Description, string? Brand, bool Active, IReadOnlyList<Sku> Skus,
    string? CategoryId, IReadOnlyDictionary<string, JsonElement> Attributes, IReadOnlyDictionary<string, IReadOnlyList<string>> VariantOptions);

/// <summary>
/// A purchasable variant of a product with its options (size, colour...), price and currency, and images in display order.
/// <paramref name="PurchaseLimit"/> caps the quantity per cart line; null means the store's default.
/// </summary>
public sealed record Sku(string Code, string ProductId, string Title, IReadOnlyDictionary<string, string> Options, Money Price, bool Active, int? PurchaseLimit, IReadOnlyList<SkuImage> Images);

public sealed record SkuImage(string Url, string? Alt);

public sealed record ProductDraft(
    string ProductId, string Title, string Description, string? Brand, bool Active, string? CategoryId = null,
    IReadOnlyDictionary<string, JsonElement>? Attributes = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? VariantOptions = null);

public sealed record SkuDraft(string Code, string ProductId, string Title, IReadOnlyDictionary<string, string> Options, Money Price, bool Active, int? PurchaseLimit, IReadOnlyList<SkuImage>? Images = null);

/// <summary>One page of products by id; pass <paramref name="NextAfter"/> for the next.</summary>
public sealed record ProductPage(IReadOnlyList<Product> Products, string? NextAfter);

public enum AttributeType
{
    /// <summary>One of the definition's values.</summary>
    Option,
    Text,
    Number,
}

/// <summary>A typed attribute the products of a category carry; <paramref name="Values"/> lists an option's allowed values.</summary>
public sealed record AttributeDefinition(string Name, AttributeType Type, IReadOnlyList<string>? Values);

/// <summary>
/// A node of the category tree. <paramref name="Path"/> is its ancestors' slugs and its own (<c>/apparel/shirts</c>);
/// siblings are ordered by <paramref name="Position"/>.
/// </summary>
public sealed record Category(
    string CategoryId, string? ParentId, string Name, string Slug, string Path, int Position,
    IReadOnlyList<AttributeDefinition> Attributes, bool Archived, IReadOnlyList<Breadcrumb> Breadcrumbs);

/// <summary>One step from the root to a category, the category itself last.</summary>
public sealed record Breadcrumb(string CategoryId, string Name, string Slug);

public sealed record CategoryDraft(string CategoryId, string? ParentId, string Name, string Slug, int Position, IReadOnlyList<AttributeDefinition> Attributes, bool Archived);

/// <summary>The public tree: visible categories only, children ordered by position.</summary>
public sealed record CategoryNode(string CategoryId, string Name, string Slug, string Path, int Position, IReadOnlyList<CategoryNode> Children);

public enum ProductSort
{
    Title,
    Price,
    PriceDescending,
    Newest,
}

/// <summary>A product in a listing, with its lowest active SKU price (null when it has no active SKU).</summary>
public sealed record ProductSummary(string ProductId, string Title, string? Brand, string CategoryId, Money? Price, DateTimeOffset CreatedAt);

/// <summary>A page of a category listing; <paramref name="Total"/> counts the products on all pages.</summary>
public sealed record CategoryListing(IReadOnlyList<ProductSummary> Products, int Page, int Limit, long Total, int? NextPage);

/// <summary>A price a SKU had from <paramref name="ChangedAt"/>, set by <paramref name="ChangedBy"/>.</summary>
public sealed record PriceChange(Money Price, string ChangedBy, DateTimeOffset ChangedAt);

/// <summary>How variant SKUs are built from a product's options: codes <c>PREFIX-value-value</c>, a default price, overrides.</summary>
public sealed record VariantPlan(string SkuPrefix, Money Price, IReadOnlyList<SkuImage>? Images, IReadOnlyList<VariantOverride> Overrides);

/// <summary>For the combinations holding all of <paramref name="Options"/> (a part of a combination is fine: every XL), a price or images of their own.</summary>
public sealed record VariantOverride(IReadOnlyDictionary<string, string> Options, Money? Price, IReadOnlyList<SkuImage>? Images);

/// <summary>Why a catalog write did nothing: what, about which field, in words. The gateway maps the kind to a status.</summary>
public sealed record CatalogRefusal(CatalogRefusalKind Kind, string Code, string Field, string Message);

public enum CatalogRefusalKind
{
    /// <summary>The resource named in the route does not exist.</summary>
    NotFound,
    /// <summary>The request conflicts with the tree or with another resource.</summary>
    Conflict,
    /// <summary>Well-formed, but a field cannot be acted on.</summary>
    Unprocessable,
}

/// <summary>
/// A category write: the category as it is now, or the refusal; <paramref name="ChangedProductIds"/> are the products whose
/// category path or visibility it changed (those of the subtree, for a move, rename or archive).
/// </summary>
public sealed record CategoryWrite(Category? Category, bool Created, CatalogRefusal? Refusal, IReadOnlyList<string> ChangedProductIds);

/// <summary>A SKU write: whether it created the SKU, or the refusal. The product it changed is the draft's.</summary>
public sealed record SkuWrite(bool Created, CatalogRefusal? Refusal);

/// <summary>
/// The variant SKUs of a product after a build, how many it created and changed, how many of the product's other SKUs it
/// deactivated, or the refusal. The product id is the caller's.
/// </summary>
public sealed record VariantsWrite(IReadOnlyList<Sku> Skus, int Created, int Updated, int Deactivated, CatalogRefusal? Refusal);
