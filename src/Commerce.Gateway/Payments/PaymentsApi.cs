using System.Security.Claims;
using Commerce.Gateway.Identity;
using Commerce.Grains.Payments;
using Commerce.Payments;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Payments;

public sealed record RefundRequest(decimal? Amount, string? Reason);

/// <param name="Applied">False for a replayed event and for one that reports nothing to a payment of this shop.</param>
public sealed record WebhookReceipt(string EventId, bool Applied);

/// <summary>Payments: a customer reads their own (others' are 404); operators read any and refund part or all of a captured payment.</summary>
internal static class PaymentsApi
{
    public const string StripeSignatureHeader = "Stripe-Signature";

    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder routes)
    {
        // Before the {paymentId} routes; anonymous, since Stripe signs instead of signing in.
        routes.MapPost("/api/v1/payments/stripe/webhook", StripeWebhookReceived).AllowAnonymous().WithTags("Payments")
            .WithName("StripeWebhook").WithSummary("Stripe's events, verified by their Stripe-Signature; each event id is applied once")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
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

    /// <summary>
    /// A Stripe event: verified (a bad or stale signature is 400 and changes nothing), applied to its
    /// payment, then recorded by id — a replay is acknowledged and ignored, and a crash before the
    /// record makes Stripe's retry apply it again, which changes nothing either.
    /// </summary>
    private static async Task<Results<Ok<WebhookReceipt>, ProblemHttpResult>> StripeWebhookReceived(
        HttpRequest request, IConfiguration configuration, IServiceProvider services, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (PaymentsServiceCollectionExtensions.Provider(configuration) != "stripe")
        {
            return Problems.NotFound("stripe-not-configured", "Payments do not go through Stripe here (Commerce:Payments:Provider).");
        }
        var webhook = services.GetRequiredService<StripeWebhook>();
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(cancellationToken);
        if (webhook.Verify(body, request.Headers[StripeSignatureHeader]) is not { } stripeEvent)
        {
            return Problems.About(StatusCodes.Status400BadRequest, "The signature does not verify.", "invalid-signature", StripeSignatureHeader,
                "The Stripe-Signature header is missing, does not match the body and the endpoint's secret, or is older than the tolerance.");
        }
        if (await webhook.Seen(stripeEvent.Id, cancellationToken))
        {
            return TypedResults.Ok(new WebhookReceipt(stripeEvent.Id, Applied: false));
        }
        var report = await webhook.Report(stripeEvent, cancellationToken);
        if (report is var (paymentId, what))
        {
            await grains.GetGrain<IPaymentGrain>(paymentId).Reconcile(what);
        }
        await webhook.Record(stripeEvent, report?.PaymentId, cancellationToken);
        return TypedResults.Ok(new WebhookReceipt(stripeEvent.Id, Applied: report is not null));
    }

    private static ProblemHttpResult NoSuchPayment(string paymentId) => Problems.NotFound("unknown-payment", $"There is no payment '{paymentId}'.");
}
