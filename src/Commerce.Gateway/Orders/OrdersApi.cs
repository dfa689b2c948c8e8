using Commerce.Hosting;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Commerce.Gateway.Identity;
using Commerce.Grains.Carts;
using Commerce.Grains.Orders;
using Commerce.Orders;
using Commerce.Payments;
using Orleans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Orders;

public sealed record AddressRequest(string? Name, string? Line1, string? Line2, string? City, string? PostalCode, string? Country);

public sealed record ShippingRequest(string? Method, string? Region, AddressRequest? Address);

public sealed record CardRequest(string? Number, int? ExpMonth, int? ExpYear, string? Cvc);

public sealed record CheckoutRequest(ShippingRequest? Shipping, CardRequest? Card);

public sealed record TransitionRequest(OrderAction? Action, string? Note);

public sealed record NoteRequest(string? Note);

/// <summary>
/// Checkout and orders. A customer places orders from their cart and sees only their own orders —
/// another customer's order id answers 404, exactly like an id that does not exist, so ids leak
/// nothing. Operators see every order and move orders along the state machine.
/// </summary>
internal static class OrdersApi
{
    public const int MaxPage = 100;

    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/checkout/options", Terms).WithTags("Orders")
            .WithName("GetCheckoutOptions").WithSummary("The store's currency, shipping methods (with price and free-shipping threshold) and the regions it ships to, with their tax rates");
        var api = routes.MapGroup("/api/v1/orders").WithTags("Orders");
        api.MapPost("", Checkout).RequireAuthorization(GatewayIdentity.SignedInCustomerPolicy)
            .WithName("PlaceOrder").WithSummary("Places an order from the cart; requires an Idempotency-Key (same key and body: the saved answer; another body: 422)")
            .ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RateLimitedAs(RateLimitedAction.Checkout);
        api.MapGet("", List).RequireAuthorization()
            .WithName("ListOrders").WithSummary("The customer's orders (operators: every order, optionally of one status), newest first, one page at a time");
        api.MapGet("/{orderId}", Get).RequireAuthorization()
            .WithName("GetOrder").WithSummary("One order with its history (customers: only their own)");
        api.MapPost("/{orderId}/cancel", Cancel).RequireAuthorization()
            .WithName("CancelOrder").WithSummary("Cancels an order before it ships: stock goes back, the payment is voided or refunded")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{orderId}/return", RequestReturn).RequireAuthorization(GatewayIdentity.SignedInCustomerPolicy)
            .WithName("RequestReturn").WithSummary("Asks to return a delivered order")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{orderId}/transitions", Transition).RequireAuthorization(GatewayIdentity.OperatorPolicy)
            .WithName("TransitionOrder").WithSummary("Moves an order along: StartProcessing, Ship, Deliver, Cancel, ApproveReturn, RefundReturn (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    /// <summary>
    /// The order id comes from the customer and the key, so every retry of a checkout — concurrent or
    /// days later — reaches the same order grain, which answers it once.
    /// </summary>
    public static string OrderIdFor(string customerId, string idempotencyKey) =>
        "ord_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(customerId + "\n" + idempotencyKey)))[..24];

    private static Task<Results<Created<OrderView>, Accepted<OrderView>, ValidationProblem, ProblemHttpResult>> Checkout(
        CheckoutRequest request, [FromHeader(Name = Idempotency.KeyHeader)] string? idempotencyKey, ClaimsPrincipal user,
        IGrainFactory grains, IPaymentGateway payments, HttpResponse response, CancellationToken cancellationToken) =>
        Place(request, idempotencyKey, flashSale: null, user, grains, payments, response, cancellationToken);

    /// <summary>
    /// A checkout, of the customer's cart or (<paramref name="flashSale"/> set) of one flash-sale
    /// purchase: the same validation, card exchange, idempotent order saga and answers for both.
    /// </summary>
    internal static async Task<Results<Created<OrderView>, Accepted<OrderView>, ValidationProblem, ProblemHttpResult>> Place(
        CheckoutRequest request, string? idempotencyKey, FlashSalePurchaseRef? flashSale, ClaimsPrincipal user,
        IGrainFactory grains, IPaymentGateway payments, HttpResponse response, CancellationToken cancellationToken)
    {
        var address = request.Shipping?.Address;
        var card = request.Card;
        var errors = new FieldErrors()
            .Check(Identifiers.IsIdempotencyKey(idempotencyKey), Idempotency.KeyHeader, Idempotency.RequiredMessage)
            .Check(request.Shipping?.Method is { Length: > 0 and <= 50 }, "shipping.method", "A shipping method is required (standard, express, next-day).")
            .Check(Identifiers.IsCode(request.Shipping?.Region), "shipping.region", "A tax region is required, such as DE or US-CA.")
            .Check(Text(address?.Name, 200), "shipping.address.name", "The recipient's name is required (at most 200 characters).")
            .Check(Text(address?.Line1, 200), "shipping.address.line1", "The street address is required (at most 200 characters).")
            .Check(address?.Line2 is null || address.Line2.Length <= 200, "shipping.address.line2", "The second address line has at most 200 characters.")
            .Check(Text(address?.City, 100), "shipping.address.city", "The city is required (at most 100 characters).")
            .Check(Text(address?.PostalCode, 20), "shipping.address.postalCode", "The postal code is required (at most 20 characters).")
            .Check(address?.Country is { Length: 2 } country && country.All(char.IsAsciiLetterUpper), "shipping.address.country", "The country is an ISO 3166 code such as DE.")
            .Check(card?.Number is { Length: >= 12 and <= 23 }, "card.number", "The card number is required.")
            .Check(card?.ExpMonth is >= 1 and <= 12, "card.expMonth", "The expiry month is 1 to 12.")
            .Check(card?.ExpYear is >= 2000 and <= 2100, "card.expYear", "The expiry year has four digits.")
            .Check(card?.Cvc is { Length: >= 3 and <= 4 }, "card.cvc", "The security code has 3 or 4 digits.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        // The card is exchanged for the gateway's payment method at once: the number itself is never stored.
        var method = await payments.CreatePaymentMethod(new CardDetails(card!.Number!, card.ExpMonth!.Value, card.ExpYear!.Value, card.Cvc!), cancellationToken);
        if (!method.Succeeded)
        {
            var field = method.FailureCode switch { "expired_card" => "card.expYear", "incorrect_cvc" => "card.cvc", _ => "card.number" };
            return Problems.About(StatusCodes.Status422UnprocessableEntity, "The card was refused.", "card-invalid", field, method.Message!,
                new Dictionary<string, object?> { ["declineCode"] = method.FailureCode });
        }
        var customerId = user.CustomerId();
        var orderId = OrderIdFor(customerId, idempotencyKey!);
        // The purchase is part of what the key stands for: the same key for another purchase (or the cart) is refused.
        var fingerprint = flashSale is null ? Idempotency.Fingerprint(request) : Idempotency.Fingerprint(new { request, flashSale });
        var placement = new PlaceOrder(customerId, fingerprint, request.Shipping!.Method!, request.Shipping.Region!,
            new ShippingAddress(address!.Name!, address.Line1!, address.Line2, address.City!, address.PostalCode!, address.Country!),
            new CardOnFile(method.Method!.Id, method.Method.Brand, method.Method.Last4), flashSale);
        PlaceOrderResult result;
        try
        {
            result = await grains.GetGrain<IOrderGrain>(orderId).Place(placement);
        }
        catch (Exception e) when (TransientFaults.IsTransient(e))
        {
            // The saga may have begun: the same key reaches the same order grain, which finishes it once.
            return ClusterFaults.Problem(response, new Dictionary<string, object?> { ["orderId"] = orderId });
        }
        if (result.Replayed)
        {
            response.MarkReplayed();
        }
        var withOrder = result.Order is null ? null : new Dictionary<string, object?> { ["orderId"] = result.Order.OrderId };
        return result.Error switch
        {
            PlaceOrderError.None => TypedResults.Created($"/api/v1/orders/{orderId}", result.Order!),
            PlaceOrderError.InProgress => TypedResults.Accepted($"/api/v1/orders/{orderId}", result.Order!),
            PlaceOrderError.KeyReused => Problems.Unprocessable("idempotency-key-reused", Idempotency.KeyHeader, result.Message!),
            PlaceOrderError.CartEmpty => Problems.Unprocessable("cart-empty", "cart", result.Message!),
            PlaceOrderError.UnknownShippingMethod => Problems.Unprocessable("unknown-shipping-method", "shipping.method", result.Message!),
            PlaceOrderError.UnknownRegion => Problems.Unprocessable("unknown-region", "shipping.region", result.Message!),
            PlaceOrderError.CartNeedsReview => Problems.About(StatusCodes.Status409Conflict, "The cart changed.", "cart-needs-review", result.Field, result.Message!),
            PlaceOrderError.OutOfStock => Problems.About(StatusCodes.Status409Conflict, "Out of stock.", "out-of-stock", result.Field, result.Message!, withOrder),
            PlaceOrderError.UnknownPurchase => Problems.NotFound("unknown-purchase", result.Message!),
            PlaceOrderError.PurchaseExpired => Problems.About(StatusCodes.Status409Conflict, "The purchase expired.", "purchase-expired", result.Field, result.Message!, withOrder),
            PlaceOrderError.PurchasePaid => Problems.About(StatusCodes.Status409Conflict, "The purchase is paid already.", "purchase-paid", result.Field, result.Message!, withOrder),
            PlaceOrderError.PurchaseInCheckout => Problems.About(StatusCodes.Status409Conflict, "The purchase is being checked out.", "purchase-in-checkout", result.Field, result.Message!, withOrder),
            _ => Problems.About(StatusCodes.Status402PaymentRequired, "The payment was declined.", "payment-declined", "card.number", result.Message!,
                new Dictionary<string, object?>(withOrder ?? []) { ["declineCode"] = result.DeclineCode }),
        };
    }

    /// <summary>Public and the same for everyone: caches may keep it a minute (a configuration change reaches shoppers that late).</summary>
    private static async Task<Ok<CheckoutTerms>> Terms(IGrainFactory grains, HttpResponse response)
    {
        response.Headers.CacheControl = "public, max-age=60";
        return TypedResults.Ok(await grains.GetGrain<ICheckoutTermsGrain>(0).Get());
    }

    private static async Task<Results<Ok<OrderPage>, ValidationProblem>> List(
        ClaimsPrincipal user, OrderIndex index, string? cursor = null, int limit = 20, OrderStatus? status = null)
    {
        var errors = new FieldErrors()
            .Check(limit is > 0 and <= MaxPage, "limit", $"'limit' is between 1 and {MaxPage}.")
            .Check(OrderIndex.IsCursor(cursor), "cursor", "Pass the 'nextCursor' of the previous page.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        // Customers list their own orders; operators everyone's.
        var customerId = user.IsOperator() ? null : user.FindFirstValue(GatewayIdentity.CustomerIdClaim) ?? "";
        return TypedResults.Ok(await index.List(customerId, status, cursor, limit));
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> Get(string orderId, ClaimsPrincipal user, IGrainFactory grains) =>
        await Visible(orderId, user, grains) switch
        {
            (null, var problem) => problem!,
            (var order, _) => TypedResults.Ok(order),
        };

    private static Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> Cancel(string orderId, NoteRequest? request, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(orderId, OrderAction.Cancel, request?.Note, user, grains);

    private static Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> RequestReturn(string orderId, NoteRequest? request, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(orderId, OrderAction.RequestReturn, request?.Note, user, grains);

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> Transition(string orderId, TransitionRequest request, ClaimsPrincipal user, IGrainFactory grains) =>
        request.Action is { } action && action != OrderAction.RequestReturn
            ? await Act(orderId, action, request.Note, user, grains)
            : Problems.Invalid("action", "The action is one of StartProcessing, Ship, Deliver, Cancel, ApproveReturn, RefundReturn.");

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> Act(string orderId, OrderAction action, string? note, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (note is { Length: > 500 })
        {
            return Problems.Invalid("note", "A note has at most 500 characters.");
        }
        var (order, problem) = await Visible(orderId, user, grains);
        if (order is null)
        {
            return problem!;
        }
        var actor = user.IsOperator() ? user.OperatorName() : user.CustomerId();
        var result = await grains.GetGrain<IOrderGrain>(orderId).Transition(action, actor, note);
        return result.Error switch
        {
            OrderError.None => TypedResults.Ok(result.Order!),
            OrderError.NotFound => NoSuchOrder(orderId),
            OrderError.PaymentNotCaptured => Problems.About(StatusCodes.Status409Conflict, "The payment could not be captured.", "payment-not-captured", null, result.Message!,
                new Dictionary<string, object?> { ["orderStatus"] = result.Order?.Status.ToString() }),
            _ => Problems.About(StatusCodes.Status409Conflict, "The request conflicts with the current state.", "illegal-transition", null, result.Message!,
                new Dictionary<string, object?> { ["orderStatus"] = result.Order?.Status.ToString() }),
        };
    }

    /// <summary>The order when the caller may see it; for a customer, another customer's order is "not found", never "forbidden".</summary>
    internal static async Task<(OrderView? Order, ProblemHttpResult? Problem)> Visible(string orderId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!Identifiers.IsCode(orderId))
        {
            return (null, NoSuchOrder(orderId));
        }
        var order = await grains.GetGrain<IOrderGrain>(orderId).Get();
        return order is not null && (user.IsOperator() || order.CustomerId == user.FindFirstValue(GatewayIdentity.CustomerIdClaim))
            ? (order, null)
            : (null, NoSuchOrder(orderId));
    }

    private static ProblemHttpResult NoSuchOrder(string orderId) => Problems.NotFound("unknown-order", $"There is no order '{orderId}'.");

    private static bool Text(string? value, int max) => !string.IsNullOrWhiteSpace(value) && value.Length <= max;
}
