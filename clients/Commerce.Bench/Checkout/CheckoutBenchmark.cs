using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Bench.Harness;
using Commerce.Testing;

namespace Commerce.Bench.Checkout;

/// <summary>One approach's checkout figures: orders placed, and the latency of the checkout request alone.</summary>
public sealed record CheckoutResult(string Scenario, string Approach, int Clients, int Seconds, double OrdersPerSec, double CheckoutP50Ms, double CheckoutP99Ms,
    long Attempted, long Placed, long Failed, long ProviderAuthorizations, string? FirstError);

/// <summary>
/// <c>checkout</c>: signed-in customers in closed loops put a unit in the cart and check it out with
/// the 4242 test card over HTTP, against a product silo process whose payments go through the
/// built-in test-mode gateway (<c>test-gateway</c>) or through the Stripe provider and Stripe.net to
/// the project's loopback stand-in for Stripe (<c>stripe-stand-in</c>): what the provider's HTTP
/// round trips (create the PaymentIntent, capture it) add to a checkout. Only the checkout request is
/// timed. Correctness: every placed order must be one the store recorded as confirmed, and with the
/// Stripe provider one PaymentIntent per order.
/// </summary>
internal static class CheckoutBenchmark
{
    public static readonly string[] Approaches = ["test-gateway", "stripe-stand-in"];
    private const string Sku = "CHECKOUT-1";
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(int seconds, int clients, IReadOnlyList<string> approaches, BenchEnvironment environment)
    {
        var results = new List<CheckoutResult>();
        foreach (var name in approaches.Count == 0 ? Approaches : approaches)
        {
            if (!Approaches.Contains(name))
            {
                throw new ArgumentException($"Unknown checkout approach '{name}' (known: {string.Join(", ", Approaches)}).");
            }
            Report.Progress($"== checkout / {name}: {clients} customers, {seconds} s");
            var result = await RunOneAsync(name, seconds, clients, environment);
            Report.Line(result);
            results.Add(result);
        }
        Report.Progress("");
        Report.Progress($"{"approach",-16} {"orders/s",9} {"p50 ms",8} {"p99 ms",8} {"placed",7} {"failed",7}");
        foreach (var r in results)
        {
            Report.Progress($"{r.Approach,-16} {r.OrdersPerSec,9:N1} {r.CheckoutP50Ms,8:0.##} {r.CheckoutP99Ms,8:0.##} {r.Placed,7:N0} {r.Failed,7:N0}");
        }
        return Report.CheckFailed ? 1 : 0;
    }

    private static async Task<CheckoutResult> RunOneAsync(string name, int seconds, int clients, BenchEnvironment environment)
    {
        var postgres = environment.RequirePostgres();
        await BenchDatabase.ResetAsync(postgres);
        await using var stripe = name == "stripe-stand-in" ? await StripeStandIn.StartAsync() : null;
        var settings = new Dictionary<string, string>();
        foreach (var rule in new[] { "CheckoutPerCustomer", "CheckoutPerAddress", "AccountsPerAddress" })
        {
            settings[$"Commerce__RateLimits__{rule}__PermitLimit"] = "1000000000";
            settings[$"Commerce__RateLimits__{rule}__Window"] = "00:00:10";
        }
        if (stripe is not null)
        {
            settings["Commerce__Payments__Provider"] = "stripe";
            settings["Commerce__Payments__Stripe__SecretKey"] = StripeStandIn.SecretKey;
            settings["Commerce__Payments__Stripe__WebhookSecret"] = StripeStandIn.WebhookSecret;
            settings["Commerce__Payments__Stripe__ApiBase"] = stripe.ApiBase;
        }
        await using var silo = await SiloProcess.StartAsync(postgres, "bench-checkout", settings: BenchSiloSettings.With(settings));
        await BenchDatabase.AddToCatalogAsync(postgres, [Sku]);
        using (var operators = await OperatorClient.SignInAsync(silo.HttpPort))
        {
            (await operators.PostAsJsonAsync($"/api/v1/inventory/{Sku}/receipts", new { warehouseId = "main", quantity = 10_000_000 })).EnsureSuccessStatusCode();
        }
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients + 8 })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{silo.HttpPort}"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        var tokens = new string[clients];
        for (var i = 0; i < clients; i++)
        {
            tokens[i] = await SignedInCustomerAsync(http);
        }

        var checkoutTicks = new ConcurrentBag<long>();
        var measuring = false;
        Task<bool> PlaceOne(int client, Random _) => PlaceOrderAsync(http, tokens[client], measuring ? checkoutTicks : null);
        await LoadRun.RunAsync(clients, WarmUp, PlaceOne);
        var placedBefore = await ConfirmedOrdersAsync(postgres);
        var authorizationsBefore = stripe?.RequestsTo("/v1/payment_intents") ?? 0;
        measuring = true;
        var run = await LoadRun.RunAsync(clients, TimeSpan.FromSeconds(seconds), PlaceOne);

        // The store's own records: every acknowledged order is a confirmed one, and (Stripe) one intent each.
        var confirmed = await ConfirmedOrdersAsync(postgres) - placedBefore;
        if (confirmed != run.Succeeded)
        {
            Report.Fail($"checkout/{name}: {run.Succeeded} orders acknowledged but {confirmed} confirmed in the order index");
        }
        var authorizations = stripe is null ? 0 : stripe.RequestsTo("/v1/payment_intents") - authorizationsBefore;
        if (stripe is not null && authorizations != run.Attempted - run.Failed)
        {
            Report.Fail($"checkout/{name}: {authorizations} PaymentIntents created for {run.Attempted - run.Failed} checkouts answered");
        }
        var sorted = checkoutTicks.ToArray();
        Array.Sort(sorted);
        return new CheckoutResult("checkout", name, clients, seconds, Math.Round(run.OpsPerSecond, 1), LoadRun.Percentile(sorted, 0.50), LoadRun.Percentile(sorted, 0.99),
            run.Attempted, run.Succeeded, run.Failed, authorizations, run.FirstError);
    }

    /// <summary>A unit into the cart, then the checkout (the only request timed): true when the order is placed.</summary>
    private static async Task<bool> PlaceOrderAsync(HttpClient http, string token, ConcurrentBag<long>? checkoutTicks)
    {
        using (var add = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/cart/items/{Sku}") { Content = JsonContent.Create(new { quantity = 1 }) })
        {
            add.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var added = await http.SendAsync(add);
            added.EnsureSuccessStatusCode();
        }
        using var checkout = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new
            {
                shipping = new { method = "standard", region = "DE", address = new { name = "Bench Buyer", line1 = "1 Load St", city = "Berlin", postalCode = "10115", country = "DE" } },
                card = new { number = "4242424242424242", expMonth = 12, expYear = DateTime.UtcNow.Year + 2, cvc = "123" },
            }),
        };
        checkout.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        checkout.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        var started = Stopwatch.GetTimestamp();
        using var placed = await http.SendAsync(checkout);
        checkoutTicks?.Add(Stopwatch.GetTimestamp() - started);
        return placed.StatusCode == HttpStatusCode.Created
            ? true
            : throw new InvalidOperationException($"Checkout answered {(int)placed.StatusCode}: {await placed.Content.ReadAsStringAsync()}");
    }

    private static async Task<string> SignedInCustomerAsync(HttpClient http)
    {
        var email = $"bench-{Guid.NewGuid():N}@example.com";
        (await http.PostAsJsonAsync("/api/v1/accounts", new { email, password = "bench password" })).EnsureSuccessStatusCode();
        using var login = await http.PostAsJsonAsync("/api/v1/accounts/login", new { email, password = "bench password" });
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    private static Task<long> ConfirmedOrdersAsync(string postgres) =>
        BenchDatabase.ScalarAsync(postgres, "SELECT count(*) FROM order_summaries WHERE status = 'Confirmed'");
}
