using System.Security.Claims;
using System.Text.Json;
using Commerce.Catalog;
using Commerce.Gateway.Identity;
using Commerce.Grains;
using Commerce.Grains.CatalogChanges;
using Commerce.Grains.Inventory;
using Commerce.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Orleans;

namespace Commerce.Gateway.Catalog;

public sealed record ProductRequest(
    string? Title, string? Description, string? Brand, bool? Active, string? CategoryId,
    Dictionary<string, JsonElement>? Attributes, Dictionary<string, List<string>>? VariantOptions);

public sealed record SkuRequest(string? ProductId, string? Title, Dictionary<string, string>? Options, Money? Price, bool? Active, int? PurchaseLimit, List<SkuImage>? Images);

/// <summary>Builds a product's variant SKUs: codes <c>PREFIX-value-value</c>, a default price and images, overrides per combination.</summary>
public sealed record VariantsRequest(string? SkuPrefix, Money? Price, List<SkuImage>? Images, List<VariantOverrideRequest>? Overrides);

/// <summary>For every combination holding all of <paramref name="Options"/>: its own price, its own images, or both.</summary>
public sealed record VariantOverrideRequest(Dictionary<string, string>? Options, Money? Price, List<SkuImage>? Images);

public sealed record VariantsResponse(IReadOnlyList<Sku> Skus, int Created, int Updated, int Deactivated);

public sealed record PriceHistory(string Sku, IReadOnlyList<PriceChange> Changes);

/// <summary>The product page: the product, where it sits in the tree, its attributes, and each variant with price, images and stock level.</summary>
public sealed record ProductDetail(
    string ProductId, string Title, string Description, string? Brand, string? CategoryId, IReadOnlyList<Breadcrumb> Breadcrumbs,
    IReadOnlyDictionary<string, JsonElement> Attributes, IReadOnlyDictionary<string, IReadOnlyList<string>> VariantOptions, IReadOnlyList<VariantDetail> Skus);

/// <summary>A variant as a shopper sees it: the stock level only, never a count (as the inventory's public view).</summary>
public sealed record VariantDetail(
    string Code, string Title, IReadOnlyDictionary<string, string> Options, Money Price, IReadOnlyList<SkuImage> Images, int? PurchaseLimit, StockLevel Stock, bool BackorderAllowed);

/// <summary>
/// The catalog: anyone reads visible products (the product page with its variants' stock) and the category tree
/// (<see cref="CategoriesApi"/>); operators create and update them with PUT (the id is in the route, so a retry is
/// harmless: no Idempotency-Key needed), archive them, build variant SKUs and read price history.
/// </summary>
internal static class CatalogApi
{
    public const int MaxPage = 200;

    public const int MaxVariantOptions = 5;

    public const int MaxOptionValues = 50;

    public const int MaxVariants = 500;

    public const int MaxImages = 20;

    public const int MaxOverrides = 500;

    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/catalog").WithTags("Catalog");
        api.MapGet("/products", List)
            .WithName("ListProducts").WithSummary("Active products with their active SKUs, by id, one keyset page at a time");
        api.MapGet("/products/{productId}", Get)
            .WithName("GetProduct").WithSummary("The product page: a visible product with breadcrumbs, attributes and its active SKUs with price, images and stock level");

        var operators = api.MapGroup("").RequireAuthorization(GatewayIdentity.OperatorPolicy);
        operators.MapPut("/products/{productId}", PutProduct)
            .WithName("PutProduct").WithSummary("Creates or updates a product: category, attributes checked against its definitions, variant options (operators)")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        operators.MapPost("/products/{productId}/archive", ArchiveProduct)
            .WithName("ArchiveProduct").WithSummary("Archives a product (active false): it leaves public reads (operators)");
        operators.MapPost("/products/{productId}/variants", BuildVariants)
            .WithName("BuildVariants").WithSummary("Builds a SKU per combination of the product's variant options; the same request again changes nothing (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        operators.MapPut("/skus/{sku}", PutSku)
            .WithName("PutSku").WithSummary("Creates or updates a SKU of a product: options, price and currency, active, purchase limit, images (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        operators.MapGet("/skus/{sku}/price-history", GetPriceHistory)
            .WithName("GetPriceHistory").WithSummary("Every price a SKU had, newest first, with who set it and when (operators)");
        CategoriesApi.MapCategories(api, operators);
        return routes;
    }

    private static async Task<Results<Ok<ProductPage>, ValidationProblem>> List(CatalogStore catalog, string? after = null, int limit = 50)
    {
        if (limit is < 1 or > MaxPage)
        {
            return Problems.Invalid("limit", $"'limit' is between 1 and {MaxPage}.");
        }
        return TypedResults.Ok(await catalog.ListProducts(after, limit, activeOnly: true));
    }

    private static async Task<Results<Ok<ProductDetail>, ValidationProblem, ProblemHttpResult>> Get(string productId, CatalogStore catalog, IGrainFactory grains)
    {
        if (!Identifiers.IsCode(productId))
        {
            return Problems.Invalid("productId", "A product id is " + Identifiers.CodeRule);
        }
        if (await catalog.GetProduct(productId, activeOnly: true) is not { } product)
        {
            return UnknownProduct(productId);
        }
        var category = product.CategoryId is { } categoryId ? catalog.GetCategory(categoryId, visibleOnly: true) : Task.FromResult<Category?>(null);
        // One inventory grain per SKU, asked all at once: the page waits for the slowest, not for their sum.
        var stock = await Task.WhenAll(product.Skus.Select(sku => grains.GetGrain<ISkuInventoryGrain>(sku.Code).GetStock()));
        var variants = product.Skus.Zip(stock, (sku, level) => new VariantDetail(sku.Code, sku.Title, sku.Options, sku.Price, sku.Images, sku.PurchaseLimit,
            level?.Level ?? StockLevel.OutOfStock, level?.BackorderAllowed ?? false)).ToList();
        return TypedResults.Ok(new ProductDetail(product.ProductId, product.Title, product.Description, product.Brand, product.CategoryId,
            (await category)?.Breadcrumbs ?? [], product.Attributes, product.VariantOptions, variants));
    }

    private static async Task<Results<Created<Product>, Ok<Product>, ValidationProblem, ProblemHttpResult>> PutProduct(string productId, ProductRequest request, CatalogStore catalog, ICatalogChangeFeed changes)
    {
        var attributes = request.Attributes ?? [];
        var variantOptions = request.VariantOptions ?? [];
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(productId), "productId", "A product id is " + Identifiers.CodeRule)
            .Check(request.Title is { Length: > 0 and <= 300 } && !string.IsNullOrWhiteSpace(request.Title), "title", "A title has 1 to 300 characters.")
            .Check(request.Description is null || request.Description.Length <= 10_000, "description", "A description has at most 10,000 characters.")
            .Check(request.Brand is null || request.Brand.Length <= 200, "brand", "A brand has at most 200 characters.")
            .Check(request.CategoryId is null || Identifiers.IsCode(request.CategoryId), "categoryId", "A category id is " + Identifiers.CodeRule)
            .Check(attributes.Count <= CategoriesApi.MaxAttributes, "attributes", $"At most {CategoriesApi.MaxAttributes} attributes.")
            .Check(variantOptions.Count <= MaxVariantOptions, "variantOptions", $"At most {MaxVariantOptions} variant options.")
            .Check(variantOptions.Values.Aggregate(1L, (product, values) => product * Math.Max(1, values?.Count ?? 1)) <= MaxVariants, "variantOptions",
                $"The variant options make at most {MaxVariants} combinations.");
        foreach (var (name, value) in attributes.Take(CategoriesApi.MaxAttributes))
        {
            errors.Check(ProductAttributes.IsStorable(value), "attributes." + name, StorableText.Refusal);
        }
        foreach (var (name, values) in variantOptions.Take(MaxVariantOptions))
        {
            errors.Check(name is { Length: > 0 and <= 50 } && !string.IsNullOrWhiteSpace(name), "variantOptions", "A variant option's name has 1 to 50 characters.")
                .Check(values is { Count: > 0 and <= MaxOptionValues } && values.All(v => v is { Length: > 0 and <= 50 } && !string.IsNullOrWhiteSpace(v)) &&
                    values.Distinct(StringComparer.Ordinal).Count() == values.Count,
                    "variantOptions." + name, $"A variant option lists 1 to {MaxOptionValues} distinct values of 1 to 50 characters.");
        }
        if (errors.Any)
        {
            return errors.Problem();
        }
        if (request.CategoryId is null && attributes.Count > 0)
        {
            return Problems.Unprocessable("attributes-without-category", "attributes", "Attributes are the typed attributes of a category: give the product a categoryId.");
        }
        var category = request.CategoryId is null ? null : await catalog.GetCategory(request.CategoryId, visibleOnly: false);
        if (request.CategoryId is not null && category is null)
        {
            return UnknownCategory(request.CategoryId);
        }
        IReadOnlyDictionary<string, IReadOnlyList<string>> options = variantOptions.ToDictionary(o => o.Key, o => (IReadOnlyList<string>)o.Value, StringComparer.Ordinal);
        if (category is not null && ProductAttributes.Problems(category.Attributes, attributes, options).ToList() is [_, ..] problems)
        {
            return Unprocessable("invalid-attributes", problems);
        }
        var created = await catalog.UpsertProduct(new ProductDraft(productId, request.Title!, request.Description ?? "", request.Brand, request.Active ?? true,
            request.CategoryId, attributes, options));
        if (created is null)
        {
            return UnknownCategory(request.CategoryId!);
        }
        await changes.ProductsChangedAsync([productId]);
        var product = (await catalog.GetProduct(productId, activeOnly: false))!;
        return created.Value ? TypedResults.Created($"/api/v1/catalog/products/{productId}", product) : TypedResults.Ok(product);
    }

    private static async Task<Results<Ok<Product>, ValidationProblem, ProblemHttpResult>> ArchiveProduct(string productId, CatalogStore catalog, ICatalogChangeFeed changes)
    {
        if (!Identifiers.IsCode(productId))
        {
            return Problems.Invalid("productId", "A product id is " + Identifiers.CodeRule);
        }
        if (!await catalog.ArchiveProduct(productId))
        {
            return UnknownProduct(productId);
        }
        await changes.ProductsChangedAsync([productId]);
        return TypedResults.Ok((await catalog.GetProduct(productId, activeOnly: false))!);
    }

    private static async Task<Results<Ok<VariantsResponse>, ValidationProblem, ProblemHttpResult>> BuildVariants(
        string productId, VariantsRequest request, ClaimsPrincipal user, CatalogStore catalog, ICatalogChangeFeed changes)
    {
        var overrides = request.Overrides ?? [];
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(productId), "productId", "A product id is " + Identifiers.CodeRule)
            .Check(Identifiers.IsCode(request.SkuPrefix) && request.SkuPrefix!.Length <= 64, "skuPrefix", "A SKU prefix is 1 to 64 printable characters without spaces.")
            .CheckPrice(request.Price, "price")
            .CheckImages(request.Images, "images")
            .Check(overrides.Count <= MaxOverrides, "overrides", $"At most {MaxOverrides} overrides.");
        for (var i = 0; i < overrides.Count && i < MaxOverrides; i++)
        {
            errors.Check(overrides[i]?.Options is { Count: > 0 and <= MaxVariantOptions }, $"overrides[{i}].options", "An override names 1 or more option values it applies to.")
                .Check(overrides[i]?.Price is not null || overrides[i]?.Images is not null, $"overrides[{i}]", "An override gives a price, images, or both.");
            if (overrides[i]?.Price is { } price)
            {
                errors.CheckPrice(price, $"overrides[{i}].price");
            }
            errors.CheckImages(overrides[i]?.Images, $"overrides[{i}].images");
        }
        if (errors.Any)
        {
            return errors.Problem();
        }
        var plan = new VariantPlan(request.SkuPrefix!, request.Price!, request.Images,
            overrides.Select(o => new VariantOverride(o.Options!, o.Price, o.Images)).ToList());
        var write = await catalog.BuildVariants(productId, plan, ChangedBy(user));
        if (write.Refusal is { } refusal)
        {
            return Refused(refusal);
        }
        if (write.Created + write.Updated + write.Deactivated > 0)
        {
            await changes.ProductsChangedAsync([productId]);
        }
        return TypedResults.Ok(new VariantsResponse(write.Skus, write.Created, write.Updated, write.Deactivated));
    }

    private static async Task<Results<Created<Product>, Ok<Product>, ValidationProblem, ProblemHttpResult>> PutSku(string sku, SkuRequest request, ClaimsPrincipal user, CatalogStore catalog, ICatalogChangeFeed changes)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(Identifiers.IsCode(request.ProductId), "productId", "A product id is " + Identifiers.CodeRule)
            .Check(request.Title is { Length: > 0 and <= 300 } && !string.IsNullOrWhiteSpace(request.Title), "title", "A title has 1 to 300 characters.")
            .Check(request.Options is null || (request.Options.Count <= 20 && request.Options.All(o => o.Key.Length is > 0 and <= 50 && o.Value is { Length: <= 100 })),
                "options", "At most 20 options, each a name of 1 to 50 and a value of at most 100 characters.")
            .CheckPrice(request.Price, "price")
            .Check(request.PurchaseLimit is null or > 0 and <= 10_000, "purchaseLimit", "A purchase limit is 1 to 10,000 units per cart line.")
            .CheckImages(request.Images, "images");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var draft = new SkuDraft(sku, request.ProductId!, request.Title!, request.Options ?? [], request.Price!, request.Active ?? true, request.PurchaseLimit, request.Images ?? []);
        var write = await catalog.UpsertSku(draft, ChangedBy(user));
        if (write.Refusal is { } refusal)
        {
            return Refused(refusal);
        }
        await changes.ProductsChangedAsync([request.ProductId!]);
        var product = (await catalog.GetProduct(request.ProductId!, activeOnly: false))!;
        return write.Created ? TypedResults.Created($"/api/v1/catalog/products/{request.ProductId}", product) : TypedResults.Ok(product);
    }

    private static async Task<Results<Ok<PriceHistory>, ValidationProblem, ProblemHttpResult>> GetPriceHistory(string sku, CatalogStore catalog, int limit = 100)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(limit is >= 1 and <= MaxPage, "limit", $"'limit' is between 1 and {MaxPage}.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        return await catalog.GetPriceHistory(sku, limit) is { } changes
            ? TypedResults.Ok(new PriceHistory(sku, changes))
            : Problems.NotFound("unknown-sku", $"There is no SKU '{sku}'.");
    }

    /// <summary>Who a price change is recorded as: the operator's account id, or for the bootstrap operator (who has no account) its name.</summary>
    private static string ChangedBy(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.OperatorName();

    internal static ProblemHttpResult Refused(CatalogRefusal refusal) => refusal.Kind switch
    {
        CatalogRefusalKind.NotFound => Problems.NotFound(refusal.Code, refusal.Message),
        CatalogRefusalKind.Conflict => Problems.About(StatusCodes.Status409Conflict, "The request conflicts with the current state.", refusal.Code, refusal.Field, refusal.Message),
        _ => Problems.Unprocessable(refusal.Code, refusal.Field, refusal.Message),
    };

    /// <summary>A 422 naming every field at fault (each attribute of a product, say), not only the first.</summary>
    private static ProblemHttpResult Unprocessable(string code, IReadOnlyList<(string Field, string Message)> problems) =>
        TypedResults.Problem(detail: string.Join(" ", problems.Select(p => p.Message)), statusCode: StatusCodes.Status422UnprocessableEntity, title: "The request cannot be processed.",
            extensions: new Dictionary<string, object?>
            {
                ["code"] = code,
                ["errors"] = problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()),
            });

    private static ProblemHttpResult UnknownCategory(string categoryId) => Problems.Unprocessable("unknown-category", "categoryId", $"There is no category '{categoryId}'.");

    private static ProblemHttpResult UnknownProduct(string productId) => Problems.NotFound("unknown-product", $"There is no product '{productId}'.");

    private static FieldErrors CheckPrice(this FieldErrors errors, Money? price, string field) => errors
        .Check(price is { Amount: >= 0 and <= 1_000_000_000 } && decimal.Round(price.Amount, 4) == price.Amount, field + ".amount", "The price is an amount from 0 with at most 4 decimals.")
        .Check(IsCurrency(price?.Currency), field + ".currency", "The currency is an ISO 4217 code such as EUR.");

    private static FieldErrors CheckImages(this FieldErrors errors, List<SkuImage>? images, string field)
    {
        errors.Check(images is null || images.Count <= MaxImages, field, $"At most {MaxImages} images.");
        for (var i = 0; i < (images?.Count ?? 0) && i < MaxImages; i++)
        {
            errors.Check(images![i]?.Url is { Length: <= 2000 } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http",
                    $"{field}[{i}].url", "An image URL is an absolute http or https URL of at most 2,000 characters.")
                .Check(images[i]?.Alt is null or { Length: <= 300 }, $"{field}[{i}].alt", "An image's alt text has at most 300 characters.");
        }
        return errors;
    }

    internal static bool IsCurrency(string? currency) => currency is { Length: 3 } && currency.All(char.IsAsciiLetterUpper);
}
