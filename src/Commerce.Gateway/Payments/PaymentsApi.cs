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

/// <param name="ClientSecret">The charge's client secret, from the test-bank page's address: the credential, as on Stripe's own 3-D Secure page.</param>
/// <param name="Outcome"><c>succeed</c> (the customer completed the challenge) or <c>fail</c>.</param>
public sealed record TestAuthenticationRequest(string? ClientSecret, string? Outcome);

/// <param name="Outcome">What was answered: <c>succeed</c> or <c>fail</c>; the payment learns it at once.</param>
public sealed record TestAuthenticationReceipt(string ChargeId, string Outcome);

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
        // Anonymous too: the client secret in the body is the credential.
        routes.MapPost("/api/v1/payments/test-authentications/{chargeId}", TestAuthenticationAnswered).AllowAnonymous().WithTags("Payments")
            .WithName("AnswerTestAuthentication")
            .WithSummary("The built-in gateway's test bank: completes or fails a charge's 3-D Secure challenge (outcome 'succeed' or 'fail') with its client secret")
            .ProducesProblem(StatusCodes.Status409Conflict);
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

    /// <summary>
    /// The built-in gateway's 3-D Secure page answers here: the gateway settles the charge in its books,
    /// then its payment learns the outcome as from Stripe's webhook (and resumes the checkout). A repeat of
    /// the same answer reports again, which changes nothing; a wrong secret is 404, as for no charge at all.
    /// </summary>
    private static async Task<Results<Ok<TestAuthenticationReceipt>, ValidationProblem, ProblemHttpResult>> TestAuthenticationAnswered(
        string chargeId, TestAuthenticationRequest request, IConfiguration configuration, IServiceProvider services, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (PaymentsServiceCollectionExtensions.Provider(configuration) != "test")
        {
            return Problems.NotFound("test-gateway-not-configured", "Payments do not go through the built-in test gateway here (Commerce:Payments:Provider).");
        }
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(chargeId), "chargeId", "A charge id is " + Identifiers.CodeRule)
            .Check(request.ClientSecret is { Length: > 0 and <= 200 }, "clientSecret", "The charge's client secret is required (at most 200 characters).")
            .Check(request.Outcome is "succeed" or "fail", "outcome", "The outcome is 'succeed' or 'fail'.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var succeeded = request.Outcome == "succeed";
        var answer = await services.GetRequiredService<TestModePaymentGateway>().Authenticate(chargeId, request.ClientSecret!, succeeded, cancellationToken);
        switch (answer.Error)
        {
            case TestAuthenticationError.NotFound:
                return Problems.NotFound("unknown-authentication", $"No charge '{chargeId}' waits for authentication with that client secret.");
            case TestAuthenticationError.NotWaiting:
                return Problems.Conflict("authentication-not-waiting", answer.Message!);
        }
        await grains.GetGrain<IPaymentGrain>(answer.PaymentId!).Reconcile(answer.Report!);
        return TypedResults.Ok(new TestAuthenticationReceipt(chargeId, request.Outcome!));
    }

    private static ProblemHttpResult NoSuchPayment(string paymentId) => Problems.NotFound("unknown-payment", $"There is no payment '{paymentId}'.");
}
