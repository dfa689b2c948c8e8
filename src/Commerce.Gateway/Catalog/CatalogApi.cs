using Commerce.Catalog;
using Commerce.Gateway.Identity;
using Commerce.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Catalog;

public sealed record ProductRequest(string? Title, string? Description, string? Brand, bool? Active);

public sealed record SkuRequest(string? ProductId, string? Title, Dictionary<string, string>? Options, Money? Price, bool? Active, int? PurchaseLimit);

/// <summary>
/// The minimal catalog: anyone reads active products with their SKUs; operators create and update
/// them with PUT (the id is in the route, so a retry is harmless: no Idempotency-Key needed).
/// </summary>
internal static class CatalogApi
{
    public const int MaxPage = 200;

    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/catalog").WithTags("Catalog");
        api.MapGet("/products", List)
            .WithName("ListProducts").WithSummary("Active products with their active SKUs, by id, one keyset page at a time");
        api.MapGet("/products/{productId}", Get)
            .WithName("GetProduct").WithSummary("An active product with its active SKUs");

        var operators = api.MapGroup("").RequireAuthorization(GatewayIdentity.OperatorPolicy);
        operators.MapPut("/products/{productId}", PutProduct)
            .WithName("PutProduct").WithSummary("Creates or updates a product (operators)");
        operators.MapPut("/skus/{sku}", PutSku)
            .WithName("PutSku").WithSummary("Creates or updates a SKU of a product: options, price and currency, active, purchase limit (operators)")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
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

    private static async Task<Results<Ok<Product>, ValidationProblem, ProblemHttpResult>> Get(string productId, CatalogStore catalog)
    {
        if (!Identifiers.IsCode(productId))
        {
            return Problems.Invalid("productId", "A product id is " + Identifiers.CodeRule);
        }
        return await catalog.GetProduct(productId, activeOnly: true) is { } product
            ? TypedResults.Ok(product)
            : Problems.NotFound("unknown-product", $"There is no product '{productId}'.");
    }

    private static async Task<Results<Created<Product>, Ok<Product>, ValidationProblem>> PutProduct(string productId, ProductRequest request, CatalogStore catalog)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(productId), "productId", "A product id is " + Identifiers.CodeRule)
            .Check(request.Title is { Length: > 0 and <= 300 } && !string.IsNullOrWhiteSpace(request.Title), "title", "A title has 1 to 300 characters.")
            .Check(request.Description is null || request.Description.Length <= 10_000, "description", "A description has at most 10,000 characters.")
            .Check(request.Brand is null || request.Brand.Length <= 200, "brand", "A brand has at most 200 characters.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var created = await catalog.UpsertProduct(new ProductDraft(productId, request.Title!, request.Description ?? "", request.Brand, request.Active ?? true));
        var product = (await catalog.GetProduct(productId, activeOnly: false))!;
        return created ? TypedResults.Created($"/api/v1/catalog/products/{productId}", product) : TypedResults.Ok(product);
    }

    private static async Task<Results<Created<Product>, Ok<Product>, ValidationProblem, ProblemHttpResult>> PutSku(string sku, SkuRequest request, CatalogStore catalog)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(Identifiers.IsCode(request.ProductId), "productId", "A product id is " + Identifiers.CodeRule)
            .Check(request.Title is { Length: > 0 and <= 300 } && !string.IsNullOrWhiteSpace(request.Title), "title", "A title has 1 to 300 characters.")
            .Check(request.Options is null || (request.Options.Count <= 20 && request.Options.All(o => o.Key.Length is > 0 and <= 50 && o.Value is { Length: <= 100 })),
                "options", "At most 20 options, each a name of 1 to 50 and a value of at most 100 characters.")
            .Check(request.Price is { Amount: >= 0 and <= 1_000_000_000 } price && decimal.Round(price.Amount, 4) == price.Amount, "price.amount", "The price is an amount from 0 with at most 4 decimals.")
            .Check(IsCurrency(request.Price?.Currency), "price.currency", "The currency is an ISO 4217 code such as EUR.")
            .Check(request.PurchaseLimit is null or > 0 and <= 10_000, "purchaseLimit", "A purchase limit is 1 to 10,000 units per cart line.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var draft = new SkuDraft(sku, request.ProductId!, request.Title!, request.Options ?? [], request.Price!, request.Active ?? true, request.PurchaseLimit);
        var created = await catalog.UpsertSku(draft);
        if (created is null)
        {
            return Problems.Unprocessable("unknown-product", "productId", $"There is no product '{request.ProductId}': create it first.");
        }
        var product = (await catalog.GetProduct(request.ProductId!, activeOnly: false))!;
        return created.Value ? TypedResults.Created($"/api/v1/catalog/products/{request.ProductId}", product) : TypedResults.Ok(product);
    }

    internal static bool IsCurrency(string? currency) => currency is { Length: 3 } && currency.All(char.IsAsciiLetterUpper);
}
