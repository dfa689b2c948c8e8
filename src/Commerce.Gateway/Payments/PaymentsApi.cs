using System.Security.Claims;
using Commerce.Gateway.Identity;
using Commerce.Grains.Payments;
using Orleans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Payments;

public sealed record RefundRequest(decimal? Amount, string? Reason);

/// <summary>Payments: a customer reads their own (others' are 404); operators read any and refund part or all of a captured payment.</summary>
internal static class PaymentsApi
{
    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/payments/{paymentId}").WithTags("Payments");
        api.MapGet("", Get).RequireAuthorization()
            .WithName("GetPayment").WithSummary("A payment with its authorize, capture, void and refund history (customers: only their own)");
        api.MapPost("/refunds", Refund).RequireAuthorization(GatewayIdentity.OperatorPolicy)
            .WithName("RefundPayment").WithSummary("Refunds part of a captured payment, up to what is left; requires an Idempotency-Key (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return routes;
    }

    private static async Task<Results<Ok<PaymentView>, ProblemHttpResult>> Get(string paymentId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var payment = Identifiers.IsCode(paymentId) ? await grains.GetGrain<IPaymentGrain>(paymentId).Get() : null;
        return payment is not null && (user.IsOperator() || payment.CustomerId == user.FindFirstValue(GatewayIdentity.CustomerIdClaim))
            ? TypedResults.Ok(payment)
            : NoSuchPayment(paymentId);
    }

    private static async Task<Results<Ok<PaymentView>, ValidationProblem, ProblemHttpResult>> Refund(
        string paymentId, RefundRequest request, [FromHeader(Name = Idempotency.KeyHeader)] string? idempotencyKey, IGrainFactory grains)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(paymentId), "paymentId", "A payment id is " + Identifiers.CodeRule)
            .Check(Identifiers.IsIdempotencyKey(idempotencyKey), Idempotency.KeyHeader, Idempotency.RequiredMessage)
            .Check(request.Amount is > 0 && decimal.Round(request.Amount.Value, 2) == request.Amount, "amount", "The amount is above zero with at most 2 decimals.")
            .Check(!string.IsNullOrWhiteSpace(request.Reason) && request.Reason.Length <= 500, "reason", "Every refund needs a reason (at most 500 characters).");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var result = await grains.GetGrain<IPaymentGrain>(paymentId).Refund("key:" + idempotencyKey, request.Amount!.Value, request.Reason!);
        return result.Error switch
        {
            PaymentError.None => TypedResults.Ok(result.Payment!),
            PaymentError.NotFound => NoSuchPayment(paymentId),
            PaymentError.AmountTooLarge => Problems.Unprocessable("amount-too-large", "amount", result.Message!),
            PaymentError.RefundIdReused => Problems.Unprocessable("idempotency-key-reused", Idempotency.KeyHeader, result.Message!),
            PaymentError.InvalidState => Problems.Conflict("payment-not-refundable", result.Message!),
            _ => Problems.About(StatusCodes.Status409Conflict, "The gateway refused.", "gateway-refused", null, result.Message ?? "The gateway refused the refund.",
                new Dictionary<string, object?> { ["declineCode"] = result.FailureCode }),
        };
    }

    private static ProblemHttpResult NoSuchPayment(string paymentId) => Problems.NotFound("unknown-payment", $"There is no payment '{paymentId}'.");
}
