using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Testing;

/// <summary>
/// A stand-in for Stripe's API on a loopback port, for tests and benchmarks: Stripe cannot be reached
/// from these machines. It answers the part of the API the Stripe provider uses with Stripe-shaped JSON
/// (payment methods, PaymentIntents with manual capture, capture, cancel, refunds), reads form-encoded
/// bodies as Stripe.net sends them, keeps Stripe's idempotency rule (the same <c>Idempotency-Key</c>
/// with the same parameters answers the saved response; with other parameters 400
/// <c>idempotency_error</c>), declines and asks for 3-D Secure on Stripe's test cards, can be told to
/// fail, time out or refuse the key, counts requests by path, and sends webhooks signed the way Stripe
/// signs them. It keeps its books in memory: it stands in for Stripe, which outlives the silos under test.
/// </summary>
public sealed class StripeStandIn : IAsyncDisposable
{
    /// <summary>The secret key the stand-in accepts (any other answers 401, as Stripe does).</summary>
    public const string SecretKey = "sk_test_standin";

    /// <summary>The webhook signing secret the stand-in signs its events with.</summary>
    public const string WebhookSecret = "whsec_standin";

    private readonly WebApplication app;
    private readonly Lock books = new();
    private readonly Dictionary<string, JsonObject> intents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Fingerprint, int Status, string Body)> answered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> requestsByPath = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<StripeStandInRequest> requests = new();
    private readonly HttpClient webhooks = new();
    private int failNext;
    private int timeOutNext;
    private volatile string? timeOutPath;
    private StripeStandInHold? nextCreateHold;
    private int sequence;

    private StripeStandIn(WebApplication app) => this.app = app;

    /// <summary>Where Stripe.net should send its requests (<c>StripeClientOptions.ApiBase</c>).</summary>
    public string ApiBase { get; private set; } = "";

    /// <summary>How long a timed-out request is held before its answer: past any client timeout a test sets.</summary>
    public TimeSpan TimeOutDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<StripeStandInRequest> Requests => [.. requests];

    public static async Task<StripeStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new StripeStandIn(app);
        app.Run(async context =>
        {
            try
            {
                await standIn.Handle(context);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                // A defect of the stand-in, shown to the test rather than swallowed.
                await Answer(context, 500, Error("api_error", "stand_in_defect", e.ToString()));
            }
        });
        await app.StartAsync();
        standIn.ApiBase = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return standIn;
    }

    /// <summary>The next <paramref name="count"/> requests answer 500 <c>api_error</c> without acting (Stripe keeps no idempotent answer for them).</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref failNext, count);

    /// <summary>
    /// The next <paramref name="count"/> requests (to paths ending in <paramref name="pathEndingWith"/>, if given)
    /// act and keep their idempotent answer, but answer only after <see cref="TimeOutDelay"/>.
    /// </summary>
    public void TimeOutNext(int count = 1, string? pathEndingWith = null)
    {
        timeOutPath = pathEndingWith;
        Interlocked.Exchange(ref timeOutNext, count);
    }

    /// <summary>
    /// The next PaymentIntent create acts (the intent exists, authorized or waiting) and keeps its idempotent
    /// answer, but answers only when the returned hold is released: for a webhook that overtakes the checkout.
    /// </summary>
    public StripeStandInHold HoldNextIntentCreate()
    {
        var hold = new StripeStandInHold();
        Volatile.Write(ref nextCreateHold, hold);
        return hold;
    }

    /// <summary>How many requests reached <paramref name="path"/> (such as <c>/v1/payment_intents/pi_…/capture</c>).</summary>
    public int RequestsTo(string path) => requestsByPath.GetValueOrDefault(path);

    /// <summary>How many requests reached a path ending in <paramref name="suffix"/> (<c>/capture</c>, <c>/cancel</c>, <c>/v1/refunds</c>).</summary>
    public int RequestsEndingWith(string suffix) => requestsByPath.Where(p => p.Key.EndsWith(suffix, StringComparison.Ordinal)).Sum(p => p.Value);

    /// <summary>The PaymentIntent as Stripe would answer it now, or null.</summary>
    public JsonObject? Intent(string intentId)
    {
        lock (books)
        {
            return intents.TryGetValue(intentId, out var intent) ? (JsonObject)intent.DeepClone() : null;
        }
    }

    /// <summary>The PaymentIntents whose metadata names <paramref name="key"/> = <paramref name="value"/> (such as payment_id).</summary>
    public IReadOnlyList<JsonObject> IntentsWithMetadata(string key, string value)
    {
        lock (books)
        {
            return [.. intents.Values.Where(i => i["metadata"]?[key]?.GetValue<string>() == value).Select(i => (JsonObject)i.DeepClone())];
        }
    }

    /// <summary>Completes a 3-D Secure challenge as the customer would in the browser: the intent becomes capturable, with its charge.</summary>
    public void CompleteAuthentication(string intentId)
    {
        lock (books)
        {
            var intent = intents[intentId];
            intent["status"] = "requires_capture";
            intent["amount_capturable"] = Long(intent["amount"]);
            intent["latest_charge"] = "ch_" + intentId[3..];
            intent["next_action"] = null;
        }
    }

    /// <summary>Fails a 3-D Secure challenge, as Stripe does: the intent goes back to needing a payment method, with the authentication failure as its last error.</summary>
    public void FailAuthentication(string intentId)
    {
        lock (books)
        {
            var intent = intents[intentId];
            intent["status"] = "requires_payment_method";
            intent["next_action"] = null;
            intent["last_payment_error"] = new JsonObject
            {
                ["type"] = "invalid_request_error", ["code"] = "payment_intent_authentication_failure",
                ["message"] = "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
            };
        }
    }

    /// <summary>An event of <paramref name="type"/> about the intent as it is now (<c>charge.*</c> events carry its charge), as Stripe would send it.</summary>
    public string Event(string type, string intentId, string? eventId = null)
    {
        JsonObject data;
        lock (books)
        {
            var intent = intents[intentId];
            data = type.StartsWith("charge.dispute.", StringComparison.Ordinal)
                ? new JsonObject { ["id"] = "dp_" + intentId[3..], ["object"] = "dispute", ["amount"] = Long(intent["amount_received"]),
                    ["currency"] = intent["currency"]!.GetValue<string>(), ["charge"] = intent["latest_charge"]!.GetValue<string>(), ["payment_intent"] = intentId,
                    ["reason"] = "fraudulent", ["status"] = "needs_response" }
                : type.StartsWith("charge.", StringComparison.Ordinal) ? Charge(intent) : (JsonObject)intent.DeepClone();
        }
        var stripeEvent = new JsonObject
        {
            ["id"] = eventId ?? NewId("evt"),
            ["object"] = "event",
            ["api_version"] = Stripe.StripeConfiguration.ApiVersion,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["type"] = type,
            ["data"] = new JsonObject { ["object"] = data },
        };
        return stripeEvent.ToJsonString();
    }

    /// <summary>The <c>Stripe-Signature</c> header Stripe would send with <paramref name="payload"/> at <paramref name="at"/> (default now).</summary>
    public static string Signature(string payload, DateTimeOffset? at = null, string secret = WebhookSecret)
    {
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={timestamp},v1={Stripe.EventUtility.ComputeSignature(secret, timestamp, payload)}";
    }

    /// <summary>Delivers <paramref name="payload"/> to a webhook endpoint, signed (or with <paramref name="signature"/> as given), and answers the endpoint's status.</summary>
    public async Task<HttpResponseMessage> SendWebhook(Uri endpoint, string payload, string? signature = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", signature ?? Signature(payload));
        return await webhooks.SendAsync(request);
    }

    private async Task Handle(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        requestsByPath.AddOrUpdate(path, 1, (_, n) => n + 1);
        var form = context.Request.HasFormContentType
            ? (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in context.Request.Query)
        {
            form[key] = value.ToString();
        }
        var idempotencyKey = context.Request.Headers["Idempotency-Key"].ToString();
        requests.Enqueue(new StripeStandInRequest(context.Request.Method, path, idempotencyKey is "" ? null : idempotencyKey, form));
        if (context.Request.Headers.Authorization.ToString() != "Bearer " + SecretKey)
        {
            await Answer(context, 401, Error("invalid_request_error", null, "Invalid API Key provided."));
            return;
        }
        if (TakeOne(ref failNext))
        {
            await Answer(context, 500, Error("api_error", null, "An error occurred with our connection to Stripe."));
            return;
        }
        int status;
        string body;
        lock (books)
        {
            (status, body) = context.Request.Method == "POST" && idempotencyKey is not ""
                ? Idempotently(idempotencyKey, context.Request.Method + " " + path + "?" + string.Join('&', form.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value)),
                    () => Act(context.Request.Method, path, form))
                : Act(context.Request.Method, path, form);
        }
        if (context.Request.Method == "POST" && path == "/v1/payment_intents" && Interlocked.Exchange(ref nextCreateHold, null) is { } hold)
        {
            await hold.Hold(context.RequestAborted);
        }
        if ((timeOutPath is not { } only || path.EndsWith(only, StringComparison.Ordinal)) && TakeOne(ref timeOutNext))
        {
            // Acted and saved, but the caller gives up before the answer: it must retry with the same key.
            await Task.Delay(TimeOutDelay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        if (!context.RequestAborted.IsCancellationRequested)
        {
            await Answer(context, status, body);
        }
    }

    /// <summary>Takes one from a fault counter, if any is left.</summary>
    private static bool TakeOne(ref int counter)
    {
        while (true)
        {
            var left = Volatile.Read(ref counter);
            if (left <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref counter, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    /// <summary>Stripe's rule: a key's first answer is kept and replayed for the same request; another request under the key is refused.</summary>
    private (int Status, string Body) Idempotently(string key, string fingerprint, Func<(int, string)> act)
    {
        if (answered.TryGetValue(key, out var saved))
        {
            return saved.Fingerprint == fingerprint
                ? (saved.Status, saved.Body)
                : (400, Error("idempotency_error", null, $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."));
        }
        var (status, body) = act();
        answered[key] = (fingerprint, status, body);
        return (status, body);
    }

    private (int Status, string Body) Act(string method, string path, Dictionary<string, string> form)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return (method, parts) switch
        {
            ("POST", ["v1", "payment_methods"]) => CreatePaymentMethod(form),
            ("POST", ["v1", "payment_intents"]) => CreateIntent(form),
            ("GET", ["v1", "payment_intents", var id]) => WithIntent(id, intent => (200, Show(intent, form))),
            ("POST", ["v1", "payment_intents", var id, "capture"]) => WithIntent(id, intent => Capture(intent, form)),
            ("POST", ["v1", "payment_intents", var id, "cancel"]) => WithIntent(id, Cancel),
            ("POST", ["v1", "refunds"]) => WithIntent(form.GetValueOrDefault("payment_intent") ?? "", intent => Refund(intent, form)),
            _ => (404, Error("invalid_request_error", "resource_missing", $"Unrecognized request URL ({method}: {path}).")),
        };
    }

    /// <summary>Stripe's test cards, by number, and the payment method tokens Stripe's docs name for them.</summary>
    private static readonly Dictionary<string, (string Token, string Brand)> TestCards = new(StringComparer.Ordinal)
    {
        ["4242424242424242"] = ("pm_card_visa", "visa"),
        ["5555555555554444"] = ("pm_card_mastercard", "mastercard"),
        ["4000000000000002"] = ("pm_card_chargeDeclined", "visa"),
        ["4000000000009995"] = ("pm_card_chargeDeclinedInsufficientFunds", "visa"),
        ["4000002500003155"] = ("pm_card_authenticationRequired", "visa"),
    };

    /// <summary>Payment methods made from card data, by id, with the test token whose behaviour they have.</summary>
    private readonly Dictionary<string, string> methods = new(StringComparer.Ordinal);

    private (int, string) CreatePaymentMethod(Dictionary<string, string> form)
    {
        var number = form.GetValueOrDefault("card[number]") ?? "";
        if (!TestCards.TryGetValue(number, out var card))
        {
            return (402, Error("card_error", "incorrect_number", "Your card number is incorrect.", param: "number"));
        }
        var month = int.Parse(form.GetValueOrDefault("card[exp_month]") ?? "0", CultureInfo.InvariantCulture);
        var year = int.Parse(form.GetValueOrDefault("card[exp_year]") ?? "0", CultureInfo.InvariantCulture);
        var today = DateTime.UtcNow;
        if (month is < 1 or > 12 || year < today.Year || (year == today.Year && month < today.Month))
        {
            return (402, Error("card_error", "expired_card", "Your card has expired.", param: "exp_year"));
        }
        var id = NewId("pm");
        methods[id] = card.Token;
        return (200, new JsonObject
        {
            ["id"] = id, ["object"] = "payment_method", ["type"] = "card", ["livemode"] = false,
            ["card"] = new JsonObject { ["brand"] = card.Brand, ["last4"] = number[^4..], ["exp_month"] = month, ["exp_year"] = year },
        }.ToJsonString());
    }

    private (int, string) CreateIntent(Dictionary<string, string> form)
    {
        if (!long.TryParse(form.GetValueOrDefault("amount"), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount < 1)
        {
            return (400, Error("invalid_request_error", "parameter_invalid_integer", "This value must be greater than or equal to 1.", param: "amount"));
        }
        var method = form.GetValueOrDefault("payment_method") ?? "";
        var token = methods.GetValueOrDefault(method) ?? method;
        var id = NewId("pi");
        var intent = new JsonObject
        {
            ["id"] = id, ["object"] = "payment_intent", ["amount"] = amount, ["amount_capturable"] = 0, ["amount_received"] = 0,
            ["currency"] = form.GetValueOrDefault("currency"), ["capture_method"] = form.GetValueOrDefault("capture_method") ?? "automatic",
            ["client_secret"] = id + "_secret_" + Guid.NewGuid().ToString("N")[..16], ["payment_method"] = method, ["livemode"] = false,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["latest_charge"] = null, ["next_action"] = null, ["last_payment_error"] = null,
            ["metadata"] = new JsonObject(form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal))
                .Select(f => KeyValuePair.Create(f.Key["metadata[".Length..^1], (JsonNode?)f.Value))),
            ["amount_refunded"] = 0, ["status"] = "requires_payment_method",
        };
        intents[id] = intent;
        if (form.GetValueOrDefault("confirm") != "true")
        {
            intent["status"] = "requires_confirmation";
            return (200, intent.ToJsonString());
        }
        var declined = token switch
        {
            "pm_card_visa" or "pm_card_mastercard" or "pm_card_authenticationRequired" => null,
            "pm_card_chargeDeclined" => ("card_declined", "generic_decline", "Your card was declined."),
            "pm_card_chargeDeclinedInsufficientFunds" => ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
            _ => ((string, string, string)?)("resource_missing", null!, $"No such PaymentMethod: '{method}'"),
        };
        if (declined is var (code, declineCode, message))
        {
            if (code == "resource_missing")
            {
                intents.Remove(id);
                return (400, Error("invalid_request_error", code, message, param: "payment_method"));
            }
            intent["last_payment_error"] = new JsonObject { ["type"] = "card_error", ["code"] = code, ["decline_code"] = declineCode, ["message"] = message };
            return (402, Error("card_error", code, message, declineCode, intent));
        }
        if (token == "pm_card_authenticationRequired")
        {
            intent["status"] = "requires_action";
            intent["next_action"] = new JsonObject
            {
                ["type"] = "use_stripe_sdk",
                ["use_stripe_sdk"] = new JsonObject { ["type"] = "three_d_secure_redirect", ["stripe_js"] = "https://hooks.stripe.com/3d_secure_2/hosted?intent=" + id },
            };
            return (200, intent.ToJsonString());
        }
        var manual = intent["capture_method"]!.GetValue<string>() == "manual";
        intent["latest_charge"] = "ch_" + id[3..];
        intent["status"] = manual ? "requires_capture" : "succeeded";
        intent[manual ? "amount_capturable" : "amount_received"] = amount;
        return (200, intent.ToJsonString());
    }

    private (int, string) Capture(JsonObject intent, Dictionary<string, string> form)
    {
        if (intent["status"]!.GetValue<string>() != "requires_capture")
        {
            return UnexpectedState(intent, "capture");
        }
        var capturable = Long(intent["amount_capturable"]);
        var amount = form.TryGetValue("amount_to_capture", out var asked) ? long.Parse(asked, CultureInfo.InvariantCulture) : capturable;
        if (amount < 1 || amount > capturable)
        {
            return (400, Error("invalid_request_error", "amount_too_large", $"The amount to capture ({amount}) is above the capturable {capturable}.", param: "amount_to_capture", intent: intent));
        }
        intent["amount_received"] = amount;
        intent["amount_capturable"] = 0;
        intent["status"] = "succeeded";
        return (200, intent.ToJsonString());
    }

    private (int, string) Cancel(JsonObject intent)
    {
        if (intent["status"]!.GetValue<string>() is "succeeded" or "canceled")
        {
            return UnexpectedState(intent, "cancel");
        }
        intent["status"] = "canceled";
        intent["amount_capturable"] = 0;
        intent["cancellation_reason"] = "requested_by_customer";
        return (200, intent.ToJsonString());
    }

    private (int, string) Refund(JsonObject intent, Dictionary<string, string> form)
    {
        if (intent["status"]!.GetValue<string>() != "succeeded")
        {
            return (400, Error("invalid_request_error", "charge_not_captured", "This PaymentIntent has no captured charge to refund.", intent: intent));
        }
        var left = Long(intent["amount_received"]) - Long(intent["amount_refunded"]);
        var amount = form.TryGetValue("amount", out var asked) ? long.Parse(asked, CultureInfo.InvariantCulture) : left;
        if (amount < 1 || amount > left)
        {
            return (400, Error("invalid_request_error", "amount_too_large", $"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).", param: "amount"));
        }
        intent["amount_refunded"] = Long(intent["amount_refunded"]) + amount;
        return (200, new JsonObject
        {
            ["id"] = NewId("re"), ["object"] = "refund", ["amount"] = amount, ["currency"] = intent["currency"]!.GetValue<string>(),
            ["payment_intent"] = intent["id"]!.GetValue<string>(), ["charge"] = intent["latest_charge"]!.GetValue<string>(), ["status"] = "succeeded",
        }.ToJsonString());
    }

    private (int, string) WithIntent(string id, Func<JsonObject, (int, string)> act) =>
        intents.TryGetValue(id, out var intent) ? act(intent) : (404, Error("invalid_request_error", "resource_missing", $"No such payment_intent: '{id}'", param: "intent"));

    /// <summary>The intent, with its charge in place of the charge id when <c>expand[]=latest_charge</c> was asked.</summary>
    private static string Show(JsonObject intent, Dictionary<string, string> form)
    {
        var shown = (JsonObject)intent.DeepClone();
        if (form.Any(f => f.Key.StartsWith("expand[", StringComparison.Ordinal) && f.Value == "latest_charge") && intent["latest_charge"] is not null)
        {
            shown["latest_charge"] = Charge(intent);
        }
        return shown.ToJsonString();
    }

    private static JsonObject Charge(JsonObject intent)
    {
        var received = Long(intent["amount_received"]);
        var refunded = Long(intent["amount_refunded"]);
        return new JsonObject
        {
            ["id"] = intent["latest_charge"]?.GetValue<string>(), ["object"] = "charge", ["amount"] = Long(intent["amount"]),
            ["amount_captured"] = received, ["amount_refunded"] = refunded, ["captured"] = received > 0, ["refunded"] = received > 0 && refunded == received,
            ["currency"] = intent["currency"]!.GetValue<string>(), ["payment_intent"] = intent["id"]!.GetValue<string>(),
            ["metadata"] = intent["metadata"]!.DeepClone(), ["status"] = "succeeded",
        };
    }

    /// <summary>A whole number of the books, whether it was written as an int or a long.</summary>
    private static long Long(JsonNode? node) => node!.AsValue().TryGetValue<long>(out var value) ? value : node.AsValue().GetValue<int>();

    private static (int, string) UnexpectedState(JsonObject intent, string action) =>
        (400, Error("invalid_request_error", "payment_intent_unexpected_state",
            $"You cannot {action} this PaymentIntent because it has a status of {intent["status"]!.GetValue<string>()}.", intent: intent));

    private static string Error(string type, string? code, string message, string? declineCode = null, JsonObject? intent = null, string? param = null) =>
        new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["type"] = type, ["code"] = code, ["decline_code"] = declineCode, ["message"] = message, ["param"] = param,
                ["payment_intent"] = intent?.DeepClone(),
            },
        }.ToJsonString();

    private static async Task Answer(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["Request-Id"] = "req_" + Guid.NewGuid().ToString("N")[..14];
        await context.Response.WriteAsync(body);
    }

    private string NewId(string prefix) => $"{prefix}_standin{Interlocked.Increment(ref sequence):D6}{Guid.NewGuid().ToString("N")[..8]}";

    public async ValueTask DisposeAsync()
    {
        webhooks.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>A held answer of the stand-in: <see cref="Reached"/> completes once the request has acted; the answer goes out on <see cref="Release"/>.</summary>
public sealed class StripeStandInHold
{
    private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Reached => reached.Task;

    public void Release() => released.TrySetResult();

    internal async Task Hold(CancellationToken aborted)
    {
        reached.TrySetResult();
        await released.Task.WaitAsync(aborted).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}

/// <summary>One request the stand-in received: its idempotency key and form (or query) parameters.</summary>
public sealed record StripeStandInRequest(string Method, string Path, string? IdempotencyKey, IReadOnlyDictionary<string, string> Parameters);
