using System.Security.Claims;
using Commerce.Catalog;
using Commerce.Gateway.Identity;
using Commerce.Gateway.Orders;
using Commerce.Grains;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Orders;
using Commerce.Payments;
using Orleans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.FlashSales;

/// <param name="Id">Chosen by the operator (lower-case letters, digits, dashes), so that a retried creation finds the sale instead of making a second one.</param>
public sealed record CreateFlashSaleRequest(
    string? Id,
    string? Sku,
    int? Units,
    Money? Price,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    int? PerCustomerLimit,
    int? AdmissionRatePerSecond,
    int? TokenLifetimeSeconds,
    string? WarehouseId);

public sealed record PurchaseBody(string? Token, int? Quantity);

/// <summary>
/// A sale as the storefront shows it: the product it sells, the sale's price beside the SKU's regular one, when it runs and
/// how many units are left. <paramref name="AdmissionRatePerSecond"/> lets a page estimate a waiting customer's wait.
/// </summary>
public sealed record CurrentFlashSale(
    string SaleId, string Sku, string ProductId, string Title, Money Price, Money RegularPrice,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, SalePhase Phase, int UnitsLeft, int PerCustomerLimit, int AdmissionRatePerSecond);

/// <summary>Flash sales: operators create, list, start and cancel them; customers see them, queue, and buy with their token.</summary>
internal static class FlashSalesApi
{
    /// <summary>The path segment of the public list: no sale may take it as its id.</summary>
    public const string CurrentSegment = "current";

    public static IEndpointRouteBuilder MapFlashSalesApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/flash-sales").WithTags("Flash sales");

        var operators = api.MapGroup("").RequireAuthorization(GatewayIdentity.OperatorPolicy);
        operators.MapPost("", Create)
            .WithName("CreateFlashSale").WithSummary("Creates a sale and moves its units from the SKU's inventory into the sale's pool; idempotent by id (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        operators.MapGet("", List)
            .WithName("ListFlashSales").WithSummary("Every flash sale, oldest first (operators)");
        operators.MapPost("/{saleId}/cancel", Cancel)
            .WithName("CancelFlashSale").WithSummary("Ends a sale now; unsold units go back to inventory (operators)");
        operators.MapPost("/{saleId}/start", Start)
            .WithName("StartFlashSale").WithSummary("Opens a scheduled sale now (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/" + CurrentSegment, ListCurrent)
            .WithName("ListCurrentFlashSales").WithSummary("Sales not over yet (scheduled, live, sold out before their end), soonest first, with product title, price, times and units left");
        api.MapGet("/{saleId}", Get)
            .WithName("GetFlashSale").WithSummary("A sale's price, times, phase and units left");

        var customers = api.MapGroup("/{saleId}").RequireAuthorization(GatewayIdentity.CustomerPolicy);
        customers.MapPost("/queue", Join)
            .WithName("JoinFlashSaleQueue").WithSummary("Queues the signed-in customer once; a repeat returns the same place")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RateLimitedAs(RateLimitedAction.Join);
        customers.MapGet("/queue/me", GetPlace)
            .WithName("GetFlashSaleQueuePlace").WithSummary("The signed-in customer's place: position, admission with token, or outcome");
        customers.MapPost("/purchases", Purchase)
            .WithName("PurchaseFlashSaleUnits").WithSummary("Buys with the customer's purchase token; requires an Idempotency-Key; the units wait in the sale until paid (payBy)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RateLimitedAs(RateLimitedAction.Purchase);
        customers.MapGet("/purchases/{purchaseId}", GetPurchase)
            .WithName("GetFlashSalePurchase").WithSummary("The customer's purchase: awaiting payment until payBy, paid (with its order), or expired")
            .ProducesProblem(StatusCodes.Status404NotFound);
        customers.MapPost("/purchases/{purchaseId}/checkout", Checkout)
            .WithName("CheckOutFlashSalePurchase").WithSummary("Pays for a purchase at the sale's price: an order through the same idempotent checkout saga as a cart's; requires an Idempotency-Key")
            .ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RateLimitedAs(RateLimitedAction.Checkout);
        return routes;
    }

    private static async Task<Results<Created<FlashSaleStatus>, ValidationProblem, ProblemHttpResult>> Create(
        CreateFlashSaleRequest request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider clock)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsSlug(request.Id), "id", Identifiers.SlugRule)
            .Check(request.Id != CurrentSegment, "id", $"'{CurrentSegment}' names the list of current sales; choose another id.")
            .Check(Identifiers.IsCode(request.Sku), "sku", Identifiers.CodeRule)
            .Check(request.Units is > 0 and <= 1_000_000, "units", "Units are a whole number from 1 to 1,000,000.")
            .Check(request.Price is { Amount: >= 0 }, "price.amount", "The price is an amount of zero or more.")
            .Check(request.Price?.Currency is { Length: 3 } currency && currency.All(char.IsAsciiLetterUpper), "price.currency", "The currency is an ISO 4217 code such as EUR.")
            .Check(request.StartsAt is not null, "startsAt", "The start time is required.")
            .Check(request.EndsAt is { } end && end > clock.GetUtcNow(), "endsAt", "The end time is required and must be in the future.")
            .Check(request.StartsAt is null || request.EndsAt is null || request.EndsAt > request.StartsAt, "endsAt", "The sale must end after it starts.")
            .Check(request.PerCustomerLimit is > 0, "perCustomerLimit", "The per-customer limit is a whole number above zero.")
            .Check(request.AdmissionRatePerSecond is > 0 and <= 100_000, "admissionRatePerSecond", "Customers admitted per second: 1 to 100,000.")
            .Check(request.TokenLifetimeSeconds is null or > 0 and <= 86_400, "tokenLifetimeSeconds", "A purchase token lives 1 to 86,400 seconds (default 300).")
            .Check(request.WarehouseId is null || Identifiers.IsCode(request.WarehouseId), "warehouseId", Identifiers.CodeRule);
        if (errors.Any)
        {
            return errors.Problem();
        }
        var definition = new CreateFlashSale(request.Sku!, request.Units!.Value, request.Price!, request.StartsAt!.Value, request.EndsAt!.Value,
            request.PerCustomerLimit!.Value, request.AdmissionRatePerSecond!.Value,
            request.TokenLifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null, request.WarehouseId, user.OperatorName());
        var result = await grains.GetGrain<IFlashSaleGrain>(request.Id!).Create(definition);
        return result.Error switch
        {
            FlashSaleError.None => TypedResults.Created($"/api/v1/flash-sales/{request.Id}", result.Sale!),
            FlashSaleError.AlreadyExists => Problems.Conflict("flash-sale-exists", result.Message!),
            FlashSaleError.UnknownSku => Problems.Unprocessable("unknown-sku", "sku", result.Message!),
            FlashSaleError.CurrencyNotSold => Problems.Unprocessable("currency-not-sold", "price.currency", result.Message!),
            FlashSaleError.UnknownWarehouse => Problems.Unprocessable("unknown-warehouse", "warehouseId", result.Message!),
            _ => Problems.Unprocessable("insufficient-stock", "units", result.Message!),
        };
    }

    private static async Task<Ok<FlashSaleStatus[]>> List(IGrainFactory grains)
    {
        var ids = await grains.GetGrain<IFlashSaleCatalogGrain>(FlashSaleCatalog.GrainKey).List();
        var sales = await Task.WhenAll(ids.Select(id => grains.GetGrain<IFlashSaleGrain>(id).GetStatus()));
        return TypedResults.Ok(sales.OfType<FlashSaleStatus>().ToArray());
    }

    /// <summary>Only sales of SKUs shoppers can see (the catalog's visibility rule), so that every one links to a product page.</summary>
    private static async Task<Ok<CurrentFlashSale[]>> ListCurrent(IGrainFactory grains, CatalogStore catalog, CancellationToken cancellationToken)
    {
        var ids = await grains.GetGrain<IFlashSaleCatalogGrain>(FlashSaleCatalog.GrainKey).List();
        var sales = (await Task.WhenAll(ids.Select(id => grains.GetGrain<IFlashSaleGrain>(id).GetStatus())))
            .OfType<FlashSaleStatus>().Where(sale => sale.Phase is SalePhase.Scheduled or SalePhase.Live or SalePhase.SoldOut).ToList();
        var skus = await catalog.GetSkus(sales.Select(sale => sale.Sku).ToHashSet(StringComparer.Ordinal), cancellationToken);
        return TypedResults.Ok(sales
            .Where(sale => skus.TryGetValue(sale.Sku, out var sku) && sku.Active)
            .OrderBy(sale => sale.StartsAt).ThenBy(sale => sale.SaleId, StringComparer.Ordinal)
            .Select(sale =>
            {
                var sku = skus[sale.Sku];
                return new CurrentFlashSale(sale.SaleId, sale.Sku, sku.ProductId, sku.Title, sale.Price, sku.Price, sale.StartsAt, sale.EndsAt, sale.Phase,
                    sale.UnitsRemaining, sale.PerCustomerLimit, sale.AdmissionRatePerSecond);
            })
            .ToArray());
    }

    private static async Task<Results<Ok<FlashSaleStatus>, ValidationProblem, ProblemHttpResult>> Get(string saleId, IGrainFactory grains)
    {
        if (!Identifiers.IsSlug(saleId))
        {
            return Problems.Invalid("saleId", Identifiers.SlugRule);
        }
        var status = await grains.GetGrain<IFlashSaleGrain>(saleId).GetStatus();
        return status is null ? NoSuchSale(saleId) : TypedResults.Ok(status);
    }

    private static Task<Results<Ok<FlashSaleStatus>, ValidationProblem, ProblemHttpResult>> Cancel(string saleId, ClaimsPrincipal user, IGrainFactory grains) =>
        OperatorAction(saleId, grains, sale => sale.Cancel(user.OperatorName()));

    private static Task<Results<Ok<FlashSaleStatus>, ValidationProblem, ProblemHttpResult>> Start(string saleId, ClaimsPrincipal user, IGrainFactory grains) =>
        OperatorAction(saleId, grains, sale => sale.StartNow(user.OperatorName()));

    private static async Task<Results<Ok<FlashSaleStatus>, ValidationProblem, ProblemHttpResult>> OperatorAction(string saleId, IGrainFactory grains, Func<IFlashSaleGrain, Task<FlashSaleResult>> action)
    {
        if (!Identifiers.IsSlug(saleId))
        {
            return Problems.Invalid("saleId", Identifiers.SlugRule);
        }
        var result = await action(grains.GetGrain<IFlashSaleGrain>(saleId));
        return result.Error switch
        {
            FlashSaleError.None => TypedResults.Ok(result.Sale!),
            FlashSaleError.NotFound => NoSuchSale(saleId),
            _ => Problems.Conflict("sale-over", result.Message!),
        };
    }

    private static async Task<Results<Ok<QueueStatus>, ValidationProblem, ProblemHttpResult>> Join(string saleId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!Identifiers.IsSlug(saleId))
        {
            return Problems.Invalid("saleId", Identifiers.SlugRule);
        }
        return Place(saleId, await grains.GetGrain<IFlashSaleGrain>(saleId).Join(user.CustomerId()));
    }

    private static async Task<Results<Ok<QueueStatus>, ValidationProblem, ProblemHttpResult>> GetPlace(string saleId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!Identifiers.IsSlug(saleId))
        {
            return Problems.Invalid("saleId", Identifiers.SlugRule);
        }
        return Place(saleId, await grains.GetGrain<IFlashSaleGrain>(saleId).GetQueueStatus(user.CustomerId()));
    }

    private static Results<Ok<QueueStatus>, ValidationProblem, ProblemHttpResult> Place(string saleId, JoinResult result) => result.Error switch
    {
        FlashSaleError.None => TypedResults.Ok(result.Status!),
        FlashSaleError.NotFound => NoSuchSale(saleId),
        FlashSaleError.SoldOut => Problems.Conflict("sold-out", result.Message!),
        _ => Problems.Conflict("sale-over", result.Message!),
    };

    private static async Task<Results<Created<FlashSalePurchase>, ValidationProblem, ProblemHttpResult>> Purchase(
        string saleId, PurchaseBody body, [FromHeader(Name = Idempotency.KeyHeader)] string? idempotencyKey, ClaimsPrincipal user, IGrainFactory grains, HttpResponse response)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsSlug(saleId), "saleId", Identifiers.SlugRule)
            .Check(Identifiers.IsIdempotencyKey(idempotencyKey), Idempotency.KeyHeader, Idempotency.RequiredMessage)
            .Check(!string.IsNullOrEmpty(body.Token) && body.Token.Length <= 200, "token", "The purchase token from your admission is required.")
            .Check(body.Quantity is > 0, "quantity", "The quantity is a whole number above zero.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var result = await grains.GetGrain<IFlashSaleGrain>(saleId).Purchase(new PurchaseRequest(user.CustomerId(), body.Token!, body.Quantity!.Value, idempotencyKey!));
        if (result.Replayed)
        {
            response.MarkReplayed();
        }
        return result.Error switch
        {
            FlashSaleError.None => TypedResults.Created(PurchasePath(saleId, result.Purchase!.PurchaseId), result.Purchase),
            FlashSaleError.NotFound => NoSuchSale(saleId),
            FlashSaleError.SoldOut => Problems.Conflict("sold-out", result.Message!),
            FlashSaleError.SaleOver => Problems.Conflict("sale-over", result.Message!),
            FlashSaleError.NotAdmitted => Problems.Conflict("not-admitted", result.Message!),
            FlashSaleError.TokenExpired => Problems.Conflict("token-expired", result.Message!),
            FlashSaleError.TokenInvalid => Problems.Unprocessable("token-invalid", "token", result.Message!),
            FlashSaleError.QuantityExceedsAllowance => Problems.Unprocessable("quantity-exceeds-allowance", "quantity", result.Message!),
            _ => Problems.Unprocessable("idempotency-key-reused", Idempotency.KeyHeader, result.Message!),
        };
    }

    private static async Task<Results<Ok<FlashSalePurchase>, ValidationProblem, ProblemHttpResult>> GetPurchase(string saleId, string purchaseId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (PurchaseRouteProblem(saleId, purchaseId) is { } invalid)
        {
            return invalid;
        }
        var found = await grains.GetGrain<IFlashSaleGrain>(saleId).GetPurchase(user.CustomerId(), purchaseId);
        return found.Succeeded ? TypedResults.Ok(found.Purchase!) : NoSuchPurchase(purchaseId);
    }

    private static async Task<Results<Created<OrderView>, Accepted<OrderView>, ValidationProblem, ProblemHttpResult>> Checkout(
        string saleId, string purchaseId, CheckoutRequest request, [FromHeader(Name = Idempotency.KeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user, IGrainFactory grains, IPaymentGateway payments, HttpResponse response, CancellationToken cancellationToken) =>
        PurchaseRouteProblem(saleId, purchaseId) is { } invalid
            ? invalid
            : await OrdersApi.Place(request, idempotencyKey, new FlashSalePurchaseRef(saleId, purchaseId), user, grains, payments, response, cancellationToken);

    private static string PurchasePath(string saleId, string purchaseId) => $"/api/v1/flash-sales/{saleId}/purchases/{purchaseId}";

    /// <summary>Ids that cannot name a purchase answer as "not found": they are never stored or passed on.</summary>
    private static ProblemHttpResult? PurchaseRouteProblem(string saleId, string purchaseId) =>
        !Identifiers.IsSlug(saleId) ? NoSuchSale(saleId) : !Identifiers.IsCode(purchaseId) ? NoSuchPurchase(purchaseId) : null;

    private static ProblemHttpResult NoSuchPurchase(string purchaseId) => Problems.NotFound("unknown-purchase", $"You have no purchase '{purchaseId}' in this sale.");

    private static ProblemHttpResult NoSuchSale(string saleId) => Problems.NotFound("unknown-flash-sale", $"There is no flash sale '{saleId}'.");
}
