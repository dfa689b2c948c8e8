using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Commerce.Grains;
using Commerce.Grains.Payments;
using Npgsql;

namespace Commerce.Payments;

/// <summary>
/// The built-in gateway: behaves like Stripe in test mode, so the system takes payments with no
/// account. Stripe's test card numbers decide the outcome; any other number is refused as Stripe's
/// test mode refuses real cards. Charges and answered requests live in PostgreSQL
/// (<c>test_gateway_*</c> tables) as they would on Stripe's side, so idempotency keys hold across
/// crashes of the callers. Each request runs in one transaction under an advisory lock on its key:
/// concurrent duplicates act once. The 3-D Secure test card waits for the customer as Stripe's does:
/// the charge requires action, and the test bank's page (<see cref="AuthenticationPage"/>) answers for
/// the customer through <see cref="Authenticate"/>.
/// </summary>
public sealed class TestModePaymentGateway(NpgsqlDataSource dataSource, TimeProvider clock, PaymentProviderHealth health) : IPaymentGateway
{
    /// <summary>Stripe's test cards and the payment methods Stripe's docs name for them.</summary>
    private static readonly Dictionary<string, (string MethodId, string Brand)> TestCards = new(StringComparer.Ordinal)
    {
        ["4242424242424242"] = ("pm_card_visa", "visa"),
        ["5555555555554444"] = ("pm_card_mastercard", "mastercard"),
        ["4000000000000002"] = ("pm_card_chargeDeclined", "visa"),
        ["4000000000009995"] = ("pm_card_chargeDeclinedInsufficientFunds", "visa"),
        ["4000002500003155"] = ("pm_card_authenticationRequired", "visa"),
    };

    /// <summary>What authorizing with each payment method does: null succeeds, else Stripe's failure code.</summary>
    private static string? AuthorizationFailure(string methodId) => methodId switch
    {
        "pm_card_visa" or "pm_card_mastercard" => null,
        "pm_card_chargeDeclined" => "card_declined",
        "pm_card_chargeDeclinedInsufficientFunds" => "insufficient_funds",
        "pm_card_authenticationRequired" => null,
        _ => "payment_method_unknown",
    };

    /// <summary>The payment methods whose bank asks the customer to authenticate (3-D Secure) before it holds anything.</summary>
    private static bool RequiresAuthentication(string methodId) => methodId == "pm_card_authenticationRequired";

    /// <summary>The storefront's test-bank page, on the gateway's own origin: the charge and its client secret go in its query.</summary>
    public const string AuthenticationPage = "/payments/authenticate";

    /// <summary>Stripe's failure code for a 3-D Secure challenge the customer failed.</summary>
    public const string AuthenticationFailure = "payment_intent_authentication_failure";

    public Task<PaymentMethodResult> CreatePaymentMethod(CardDetails card, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(card);
        var number = new string(card.Number.Where(c => c != ' ' && c != '-').ToArray());
        var today = clock.GetUtcNow();
        PaymentMethodResult result;
        if (!TestCards.TryGetValue(number, out var test))
        {
            result = new(null, "incorrect_number", "Test mode takes Stripe's test card numbers only, such as 4242424242424242.");
        }
        else if (card.ExpMonth is < 1 or > 12 || card.ExpYear < today.Year || (card.ExpYear == today.Year && card.ExpMonth < today.Month))
        {
            result = new(null, "expired_card", "The card's expiration date is in the past.");
        }
        else if (card.Cvc is not { Length: 3 or 4 } || !card.Cvc.All(char.IsAsciiDigit))
        {
            result = new(null, "incorrect_cvc", "The card's security code is 3 or 4 digits.");
        }
        else
        {
            result = new(new PaymentMethod(test.MethodId, test.Brand, number[^4..]));
        }
        return Task.FromResult(result);
    }

    public Task<GatewayResult> Authorize(string idempotencyKey, string paymentMethodId, Money amount, PaymentReference reference, CancellationToken cancellationToken) =>
        Once(idempotencyKey, $"authorize|{paymentMethodId}|{amount.Amount}|{amount.Currency}|{reference.OrderId}", async (connection, ct) =>
        {
            if (amount.Amount <= 0)
            {
                return GatewayResult.Failed("amount_too_small", "An authorization is for an amount above zero.");
            }
            if (AuthorizationFailure(paymentMethodId) is { } failure)
            {
                // Counted as Stripe's are, for the dashboard (a replay of the saved answer is not counted again).
                health.Declined(failure);
                return GatewayResult.Failed(failure, failure switch
                {
                    "card_declined" => "Your card was declined.",
                    "insufficient_funds" => "Your card has insufficient funds.",
                    _ => $"No such payment method: '{paymentMethodId}'.",
                });
            }
            var chargeId = "ch_" + Guid.NewGuid().ToString("N")[..24];
            var authenticate = RequiresAuthentication(paymentMethodId);
            // As Stripe's: the charge's id and a random part, so that only the customer's browser, which is given it, can answer the challenge.
            var clientSecret = authenticate ? $"{chargeId}_secret_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}" : null;
            var status = authenticate ? ChargeStatus.RequiresAction : ChargeStatus.Authorized;
            await using var insert = new NpgsqlCommand(
                "INSERT INTO test_gateway_charges (charge_id, payment_method_id, reference, amount, currency, status, payment_id, client_secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", connection);
            insert.Parameters.Add(new() { Value = chargeId });
            insert.Parameters.Add(new() { Value = paymentMethodId });
            insert.Parameters.Add(new() { Value = reference.OrderId });
            insert.Parameters.Add(new() { Value = amount.Amount });
            insert.Parameters.Add(new() { Value = amount.Currency });
            insert.Parameters.Add(new() { Value = status.ToString() });
            insert.Parameters.Add(new() { Value = reference.PaymentId });
            insert.Parameters.Add(new() { Value = (object?)clientSecret ?? DBNull.Value });
            await insert.ExecuteNonQueryAsync(ct);
            var charge = new GatewayCharge(chargeId, amount, 0, 0, status);
            return clientSecret is null
                ? new GatewayResult(charge)
                : new GatewayResult(charge, Action: new PaymentAction(clientSecret, "redirect_to_url",
                    $"{AuthenticationPage}?charge={Uri.EscapeDataString(chargeId)}&secret={Uri.EscapeDataString(clientSecret)}"));
        }, cancellationToken);

    public Task<GatewayResult> Capture(string idempotencyKey, string chargeId, Money money, CancellationToken cancellationToken) =>
        Once(idempotencyKey, $"capture|{chargeId}|{money.Amount}", async (connection, ct) =>
        {
            if (await Load(connection, chargeId, ct) is not { } charge)
            {
                return NoSuchCharge(chargeId);
            }
            if (charge.Status != ChargeStatus.Authorized)
            {
                return GatewayResult.Failed("charge_not_capturable", $"Charge {chargeId} is {charge.Status.ToString().ToLowerInvariant()}; only an authorized charge can be captured.");
            }
            if (money.Amount <= 0 || money.Amount > charge.Authorized.Amount)
            {
                return GatewayResult.Failed("amount_too_large", $"A capture is above zero and at most the authorized {charge.Authorized}.");
            }
            return new GatewayResult(await Update(connection, charge with { Captured = money.Amount, Status = ChargeStatus.Captured }, ct));
        }, cancellationToken);

    public Task<GatewayResult> Void(string idempotencyKey, string chargeId, CancellationToken cancellationToken) =>
        Once(idempotencyKey, $"void|{chargeId}", async (connection, ct) =>
        {
            if (await Load(connection, chargeId, ct) is not { } charge)
            {
                return NoSuchCharge(chargeId);
            }
            return charge.Status switch
            {
                // Waiting for the customer, nothing is held yet: cancelling it means a late authentication can hold nothing either.
                ChargeStatus.Authorized or ChargeStatus.RequiresAction => new GatewayResult(await Update(connection, charge with { Status = ChargeStatus.Voided }, ct)),
                ChargeStatus.Voided => new GatewayResult(charge),
                _ => GatewayResult.Failed("charge_already_captured", $"Charge {chargeId} was captured: refund it instead."),
            };
        }, cancellationToken);

    public Task<GatewayResult> Refund(string idempotencyKey, string chargeId, Money money, CancellationToken cancellationToken) =>
        Once(idempotencyKey, $"refund|{chargeId}|{money.Amount}", async (connection, ct) =>
        {
            var amount = money.Amount;
            if (await Load(connection, chargeId, ct) is not { } charge)
            {
                return NoSuchCharge(chargeId);
            }
            if (charge.Status != ChargeStatus.Captured)
            {
                return GatewayResult.Failed("charge_not_captured", $"Charge {chargeId} was not captured: void it instead.");
            }
            if (amount <= 0 || charge.Refunded + amount > charge.Captured)
            {
                return GatewayResult.Failed("amount_too_large", $"Refunds add up to at most the captured {charge.Captured} (refunded so far: {charge.Refunded}).");
            }
            return new GatewayResult(await Update(connection, charge with { Refunded = charge.Refunded + amount }, ct));
        }, cancellationToken);

    /// <summary>
    /// The test bank's answer to a 3-D Secure challenge, for the customer holding the charge's client secret:
    /// a waiting charge becomes authorized (<paramref name="succeeded"/>) or voided with nothing held, in one
    /// transaction. Answers what to report to which payment, as the provider's webhook would; the same answer
    /// again is reported again (the payment ignores what it knows), so a crash before the report heals on a retry.
    /// A wrong secret is as no charge at all; another answer than the first, or a charge no longer waiting, is refused.
    /// </summary>
    public async Task<TestAuthentication> Authenticate(string chargeId, string clientSecret, bool succeeded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chargeId);
        ArgumentNullException.ThrowIfNull(clientSecret);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string status, paymentId, secret;
        string? answered;
        await using (var select = new NpgsqlCommand(
            "SELECT status, payment_id, client_secret, authentication FROM test_gateway_charges WHERE charge_id = $1 AND client_secret IS NOT NULL FOR UPDATE", connection))
        {
            select.Parameters.Add(new() { Value = chargeId });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new TestAuthentication(TestAuthenticationError.NotFound);
            }
            (status, paymentId, secret, answered) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(clientSecret)))
        {
            return new TestAuthentication(TestAuthenticationError.NotFound);
        }
        var outcome = succeeded ? "succeeded" : "failed";
        var report = succeeded
            ? new ProviderReport(ProviderReportKind.Authorized, chargeId, 0)
            : new ProviderReport(ProviderReportKind.Failed, chargeId, 0, AuthenticationFailure, "The customer failed the 3-D Secure authentication.");
        if (answered == outcome)
        {
            return new TestAuthentication(TestAuthenticationError.None, paymentId, report);
        }
        if (answered is not null || status != nameof(ChargeStatus.RequiresAction))
        {
            return new TestAuthentication(TestAuthenticationError.NotWaiting, Message: answered is null
                ? $"Charge {chargeId} is {status.ToLowerInvariant()}: it no longer waits for authentication."
                : $"The authentication of charge {chargeId} {answered} already.");
        }
        await using (var update = new NpgsqlCommand("UPDATE test_gateway_charges SET status = $2, authentication = $3 WHERE charge_id = $1", connection))
        {
            update.Parameters.Add(new() { Value = chargeId });
            update.Parameters.Add(new() { Value = (succeeded ? ChargeStatus.Authorized : ChargeStatus.Voided).ToString() });
            update.Parameters.Add(new() { Value = outcome });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new TestAuthentication(TestAuthenticationError.None, paymentId, report);
    }

    /// <summary>
    /// Runs <paramref name="act"/> at most once per key: under a transaction-scoped advisory lock on
    /// the key, a saved answer is returned (or refused when the request differs); otherwise the act
    /// and its answer commit together. Failures are saved too, as Stripe does for declines.
    /// </summary>
    private async Task<GatewayResult> Once(string idempotencyKey, string fingerprint, Func<NpgsqlConnection, CancellationToken, Task<GatewayResult>> act, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockKey = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection))
        {
            lockKey.Parameters.Add(new() { Value = idempotencyKey });
            await lockKey.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var saved = new NpgsqlCommand("SELECT fingerprint, response FROM test_gateway_requests WHERE idempotency_key = $1", connection))
        {
            saved.Parameters.Add(new() { Value = idempotencyKey });
            await using var reader = await saved.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return reader.GetString(0) == fingerprint
                    ? JsonSerializer.Deserialize<GatewayResult>(reader.GetString(1), Json)!
                    : GatewayResult.Failed("idempotency_key_reused", $"Keys for idempotent requests can only be used with the same parameters they were first used with ('{idempotencyKey}').");
            }
        }
        var result = await act(connection, cancellationToken);
        await using (var save = new NpgsqlCommand("INSERT INTO test_gateway_requests (idempotency_key, fingerprint, response) VALUES ($1, $2, $3::jsonb)", connection))
        {
            save.Parameters.Add(new() { Value = idempotencyKey });
            save.Parameters.Add(new() { Value = fingerprint });
            save.Parameters.Add(new() { Value = JsonSerializer.Serialize(result, Json) });
            await save.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private static GatewayResult NoSuchCharge(string chargeId) => GatewayResult.Failed("resource_missing", $"No such charge: '{chargeId}'.");

    private static async Task<GatewayCharge?> Load(NpgsqlConnection connection, string chargeId, CancellationToken ct)
    {
        await using var select = new NpgsqlCommand("SELECT amount, currency, captured, refunded, status FROM test_gateway_charges WHERE charge_id = $1 FOR UPDATE", connection);
        select.Parameters.Add(new() { Value = chargeId });
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        return new GatewayCharge(chargeId, new Money(reader.GetDecimal(0), reader.GetString(1)), reader.GetDecimal(2), reader.GetDecimal(3), Enum.Parse<ChargeStatus>(reader.GetString(4)));
    }

    private static async Task<GatewayCharge> Update(NpgsqlConnection connection, GatewayCharge charge, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand("UPDATE test_gateway_charges SET captured = $2, refunded = $3, status = $4 WHERE charge_id = $1", connection);
        update.Parameters.Add(new() { Value = charge.ChargeId });
        update.Parameters.Add(new() { Value = charge.Captured });
        update.Parameters.Add(new() { Value = charge.Refunded });
        update.Parameters.Add(new() { Value = charge.Status.ToString() });
        await update.ExecuteNonQueryAsync(ct);
        return charge;
    }
}

public enum TestAuthenticationError
{
    None,

    /// <summary>No charge waits for authentication under that id with that client secret (which of the two is not told).</summary>
    NotFound,

    /// <summary>The charge was answered otherwise already, or cancelled: it no longer waits.</summary>
    NotWaiting,
}

/// <summary>The test bank's answer: on success, what to report to which payment.</summary>
public sealed record TestAuthentication(TestAuthenticationError Error, string? PaymentId = null, ProviderReport? Report = null, string? Message = null);
