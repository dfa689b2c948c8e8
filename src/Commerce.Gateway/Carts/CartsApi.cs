using System.Security.Claims;
using Commerce.Gateway.Identity;
using Commerce.Grains.Carts;
using Orleans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Carts;

public sealed record AddToCartRequest(string? Sku, int? Quantity);

public sealed record SetQuantityRequest(int? Quantity);

public sealed record ShippingChoiceRequest(string? Method, string? Region);

/// <summary>
/// The caller's own cart — guests (anonymous token) and signed-in customers alike; there is no cart
/// id in the route, so nobody can name another customer's cart. PUT on a line is the idempotent way
/// to add; POST adds to what is there.
/// </summary>
internal static class CartsApi
{
    public static IEndpointRouteBuilder MapCartsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/cart").WithTags("Cart").RequireAuthorization(GatewayIdentity.CustomerPolicy);
        api.MapGet("", Get).WithName("GetCart").WithSummary("The cart with current prices, flags and totals");
        api.MapPost("/items", Add).WithName("AddToCart").WithSummary("Adds units of a SKU to the cart").ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapPut("/items/{sku}", SetQuantity).WithName("SetCartLine").WithSummary("Sets a line's quantity, adding the line if missing (idempotent)").ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapDelete("/items/{sku}", Remove).WithName("RemoveCartLine").WithSummary("Removes a line");
        api.MapPost("/items/{sku}/save-for-later", SaveForLater).WithName("SaveForLater").WithSummary("Moves a line to saved for later");
        api.MapPost("/items/{sku}/move-to-cart", MoveToCart).WithName("MoveToCart").WithSummary("Moves a saved line back into the cart");
        api.MapPost("/accept-prices", AcceptPrices).WithName("AcceptCartPrices").WithSummary("Accepts current prices after reviewing the price-change flags");
        api.MapPut("/shipping", ChooseShipping).WithName("ChooseShipping").WithSummary("Chooses the shipping method and tax region the totals use").ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return routes;
    }

    private static ICartGrain CartOf(ClaimsPrincipal user, IGrainFactory grains) => grains.GetGrain<ICartGrain>(user.CustomerId());

    private static async Task<Ok<CartView>> Get(ClaimsPrincipal user, IGrainFactory grains) => TypedResults.Ok(await CartOf(user, grains).Get());

    private static async Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> Add(AddToCartRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(request.Sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(request.Quantity is > 0, "quantity", "The quantity is a whole number above zero.");
        return errors.Any ? errors.Problem() : Answer(await CartOf(user, grains).Add(request.Sku!, request.Quantity!.Value));
    }

    private static async Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> SetQuantity(string sku, SetQuantityRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(request.Quantity is > 0, "quantity", "The quantity is a whole number above zero; remove the line with DELETE.");
        return errors.Any ? errors.Problem() : Answer(await CartOf(user, grains).SetQuantity(sku, request.Quantity!.Value));
    }

    private static Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> Remove(string sku, ClaimsPrincipal user, IGrainFactory grains) =>
        OnLine(sku, cart => cart.Remove(sku), user, grains);

    private static Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> SaveForLater(string sku, ClaimsPrincipal user, IGrainFactory grains) =>
        OnLine(sku, cart => cart.SaveForLater(sku), user, grains);

    private static Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> MoveToCart(string sku, ClaimsPrincipal user, IGrainFactory grains) =>
        OnLine(sku, cart => cart.MoveToCart(sku), user, grains);

    private static async Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> OnLine(string sku, Func<ICartGrain, Task<CartResult>> change, ClaimsPrincipal user, IGrainFactory grains) =>
        Identifiers.IsCode(sku) ? Answer(await change(CartOf(user, grains))) : Problems.Invalid("sku", "A SKU is " + Identifiers.CodeRule);

    private static async Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> AcceptPrices(ClaimsPrincipal user, IGrainFactory grains) =>
        Answer(await CartOf(user, grains).AcceptPriceChanges());

    private static async Task<Results<Ok<CartView>, ValidationProblem, ProblemHttpResult>> ChooseShipping(ShippingChoiceRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new FieldErrors()
            .Check(request.Method is { Length: > 0 and <= 50 }, "method", "A shipping method is required (standard, express, next-day).")
            .Check(request.Region is null || Identifiers.IsCode(request.Region), "region", "A region is a code such as DE or US-CA.");
        return errors.Any ? errors.Problem() : Answer(await CartOf(user, grains).ChooseShipping(request.Method!, request.Region));
    }

    private static Results<Ok<CartView>, ValidationProblem, ProblemHttpResult> Answer(CartResult result) => result.Error switch
    {
        CartError.None => TypedResults.Ok(result.Cart!),
        CartError.LineNotFound => Problems.NotFound("cart-line-not-found", result.Message!),
        CartError.UnknownSku => Problems.Unprocessable("unknown-sku", result.Field!, result.Message!),
        CartError.InactiveSku => Problems.Unprocessable("sku-not-for-sale", result.Field!, result.Message!),
        CartError.QuantityOutOfRange => Problems.Unprocessable("quantity-out-of-range", result.Field!, result.Message!),
        CartError.CurrencyNotSold => Problems.Unprocessable("currency-not-sold", result.Field!, result.Message!),
        CartError.UnknownShippingMethod => Problems.Unprocessable("unknown-shipping-method", "method", result.Message!),
        _ => Problems.Unprocessable("unknown-region", "region", result.Message!),
    };
}
