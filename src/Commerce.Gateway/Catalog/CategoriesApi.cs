using Commerce.Catalog;
using Commerce.Grains.CatalogChanges;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Catalog;

public sealed record CategoryRequest(string? Name, string? Slug, string? ParentId, int? Position, List<AttributeDefinition>? Attributes, bool? Archived);

public sealed record MoveCategoryRequest(string? ParentId, int? Position);

/// <summary>
/// The category tree: anyone reads the visible tree, a category with its breadcrumbs and its products; operators create,
/// update, move and archive categories (PUT by id and the moves are safe to retry as they are).
/// </summary>
internal static class CategoriesApi
{
    public const int MaxPosition = 1_000_000;

    public const int MaxAttributes = 50;

    public const int MaxOptionValues = 100;

    public static void MapCategories(RouteGroupBuilder api, RouteGroupBuilder operators)
    {
        api.MapGet("/categories", GetTree)
            .WithName("GetCategoryTree").WithSummary("The visible category tree, each level ordered by position");
        api.MapGet("/categories/{categoryId}", Get)
            .WithName("GetCategory").WithSummary("A visible category with its attribute definitions and breadcrumbs (root first)");
        api.MapGet("/categories/{categoryId}/products", ListProducts)
            .WithName("ListCategoryProducts").WithSummary("Active products of a category and its subtree, a page at a time, sorted by title, price, -price or newest");

        operators.MapPut("/categories/{categoryId}", Put)
            .WithName("PutCategory").WithSummary("Creates or updates a category: name, slug, parent, position, typed attribute definitions, archived (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        operators.MapPost("/categories/{categoryId}/move", Move)
            .WithName("MoveCategory").WithSummary("Moves a category and its subtree under another parent (or to the roots) at a position (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        operators.MapPost("/categories/{categoryId}/archive", Archive)
            .WithName("ArchiveCategory").WithSummary("Archives a category: it, its subtree and their products leave public reads (operators)");
    }

    private static async Task<Ok<IReadOnlyList<CategoryNode>>> GetTree(CatalogStore catalog) => TypedResults.Ok(await catalog.GetCategoryTree());

    private static async Task<Results<Ok<Category>, ValidationProblem, ProblemHttpResult>> Get(string categoryId, CatalogStore catalog)
    {
        if (!Identifiers.IsCode(categoryId))
        {
            return InvalidCategoryId();
        }
        return await catalog.GetCategory(categoryId, visibleOnly: true) is { } category ? TypedResults.Ok(category) : UnknownCategory(categoryId);
    }

    private static async Task<Results<Ok<CategoryListing>, ValidationProblem, ProblemHttpResult>> ListProducts(
        string categoryId, CatalogStore catalog, string sort = "title", int page = 1, int limit = 50)
    {
        var order = sort switch
        {
            "title" => ProductSort.Title,
            "price" => ProductSort.Price,
            "-price" => ProductSort.PriceDescending,
            "newest" => ProductSort.Newest,
            _ => (ProductSort?)null,
        };
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(categoryId), "categoryId", "A category id is " + Identifiers.CodeRule)
            .Check(order is not null, "sort", "'sort' is one of title, price, -price, newest.")
            .Check(page is >= 1 and <= 100_000, "page", "'page' is from 1 to 100,000.")
            .Check(limit is >= 1 and <= CatalogApi.MaxPage, "limit", $"'limit' is between 1 and {CatalogApi.MaxPage}.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        return await catalog.ListCategoryProducts(categoryId, order!.Value, page, limit) is { } listing ? TypedResults.Ok(listing) : UnknownCategory(categoryId);
    }

    private static async Task<Results<Created<Category>, Ok<Category>, ValidationProblem, ProblemHttpResult>> Put(string categoryId, CategoryRequest request, CatalogStore catalog, ICatalogChangeFeed changes)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(categoryId), "categoryId", "A category id is " + Identifiers.CodeRule)
            .Check(request.Name is { Length: > 0 and <= 200 } && !string.IsNullOrWhiteSpace(request.Name), "name", "A name has 1 to 200 characters.")
            .Check(Identifiers.IsSlug(request.Slug), "slug", "A slug is " + Identifiers.SlugRule)
            .Check(request.ParentId is null || Identifiers.IsCode(request.ParentId), "parentId", "A parent is a category id: " + Identifiers.CodeRule)
            .Check(request.Position is null or >= 0 and <= MaxPosition, "position", $"A position is from 0 to {MaxPosition}.")
            .Check(request.Attributes is null || request.Attributes.Count <= MaxAttributes, "attributes", $"At most {MaxAttributes} attribute definitions.");
        var definitions = request.Attributes ?? [];
        for (var i = 0; i < definitions.Count && i < MaxAttributes; i++)
        {
            var definition = definitions[i];
            errors.Check(IsAttributeName(definition?.Name), $"attributes[{i}].name", "An attribute name is 1 to 50 letters, digits, '-' or '_'.")
                .Check(definitions.Take(i).All(d => d?.Name != definition?.Name), $"attributes[{i}].name", $"Attribute '{definition?.Name}' is defined twice.")
                .Check(definition?.Type is not AttributeType.Option || IsOptionValues(definition.Values), $"attributes[{i}].values",
                    $"An option attribute lists 1 to {MaxOptionValues} distinct values of 1 to 100 characters.")
                .Check(definition?.Type is AttributeType.Option || definition?.Values is null or [], $"attributes[{i}].values", "Only an option attribute lists values.");
        }
        if (errors.Any)
        {
            return errors.Problem();
        }
        var draft = new CategoryDraft(categoryId, request.ParentId, request.Name!, request.Slug!, request.Position ?? 0,
            definitions.Select(d => d with { Values = d.Type == AttributeType.Option ? d.Values : null }).ToList(), request.Archived ?? false);
        var write = await catalog.SaveCategory(draft);
        if (write.Refusal is { } refusal)
        {
            return CatalogApi.Refused(refusal);
        }
        await changes.ProductsChangedAsync(write.ChangedProductIds);
        return write.Created ? TypedResults.Created($"/api/v1/catalog/categories/{categoryId}", write.Category!) : TypedResults.Ok(write.Category!);
    }

    private static async Task<Results<Ok<Category>, ValidationProblem, ProblemHttpResult>> Move(string categoryId, MoveCategoryRequest request, CatalogStore catalog, ICatalogChangeFeed changes)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(categoryId), "categoryId", "A category id is " + Identifiers.CodeRule)
            .Check(request.ParentId is null || Identifiers.IsCode(request.ParentId), "parentId", "A parent is a category id (or null for the roots): " + Identifiers.CodeRule)
            .Check(request.Position is null or >= 0 and <= MaxPosition, "position", $"A position is from 0 to {MaxPosition}.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var write = await catalog.MoveCategory(categoryId, request.ParentId, request.Position ?? 0);
        return await Published(write, changes);
    }

    private static async Task<Results<Ok<Category>, ValidationProblem, ProblemHttpResult>> Archive(string categoryId, CatalogStore catalog, ICatalogChangeFeed changes)
    {
        if (!Identifiers.IsCode(categoryId))
        {
            return InvalidCategoryId();
        }
        var write = await catalog.ArchiveCategory(categoryId);
        return await Published(write, changes);
    }

    /// <summary>A refused write as its problem; a committed one's products (the whole subtree's) on the catalog-change stream, then the category.</summary>
    private static async Task<Results<Ok<Category>, ValidationProblem, ProblemHttpResult>> Published(CategoryWrite write, ICatalogChangeFeed changes)
    {
        if (write.Refusal is { } refusal)
        {
            return CatalogApi.Refused(refusal);
        }
        await changes.ProductsChangedAsync(write.ChangedProductIds);
        return TypedResults.Ok(write.Category!);
    }

    private static bool IsAttributeName(string? name) =>
        name is { Length: > 0 and <= 50 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static bool IsOptionValues(IReadOnlyList<string>? values) =>
        values is { Count: > 0 and <= MaxOptionValues } && values.All(v => v is { Length: > 0 and <= 100 } && !string.IsNullOrWhiteSpace(v)) && values.Distinct(StringComparer.Ordinal).Count() == values.Count;

    private static ValidationProblem InvalidCategoryId() => Problems.Invalid("categoryId", "A category id is " + Identifiers.CodeRule);

    private static ProblemHttpResult UnknownCategory(string categoryId) => Problems.NotFound("unknown-category", $"There is no category '{categoryId}'.");
}
