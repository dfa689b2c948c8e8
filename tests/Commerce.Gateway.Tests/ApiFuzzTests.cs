using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Commerce.Gateway.Tests;

/// <summary>The gateway with rate limits out of the way: the fuzzer's requests must reach the handlers.</summary>
public sealed class FuzzGatewayServer : GatewayServer
{
    protected override IDictionary<string, string?> ExtraSettings => new[] { "Join", "Purchase", "Checkout" }
        .ToDictionary(limit => $"Commerce:RateLimits:{limit}PerCustomer:PermitLimit", _ => (string?)"100000");
}

/// <summary>
/// Malformed requests to every mutating operation of the OpenAPI document, generated from its schemas
/// (a plausible body with one thing wrong: a field of the wrong JSON type, out of range, with NUL or far
/// too long, an undefined enum value, a required field missing; or JSON that breaks off, the wrong content
/// type, a bad route value, a missing or oversized Idempotency-Key), each sent with a valid token of a
/// kind the operation accepts so that it reaches the handler. None may be a 5xx or anything but a
/// problem with a code, and afterwards stock, orders, payments, the cart and the sale are as they were.
/// Seeded, so a failure names a request that reproduces.
/// </summary>
public sealed class ApiFuzzTests(FuzzGatewayServer server) : IClassFixture<FuzzGatewayServer>
{
    private const int Seed = 20261202;

    /// <summary>Stands for <c>\ud800</c> until the body is written: a JSON writer would make the lone surrogate U+FFFD.</summary>
    private const string LoneSurrogate = "LONE-SURROGATE";

    private sealed record Malformed(ApiOperation Operation, string Flaw, string Path, HttpContent? Content, IReadOnlyDictionary<string, string?> Headers)
    {
        public HttpRequestMessage ToRequest()
        {
            var request = new HttpRequestMessage(Operation.Method, Path) { Content = Content };
            foreach (var (name, value) in Headers)
            {
                if (value is not null)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }
            return request;
        }

        public override string ToString() => $"{Operation} [{Flaw}]";
    }

    [Fact]
    public async Task Malformed_requests_to_every_mutating_operation_are_problems_and_change_nothing()
    {
        var storefront = new Storefront(server);
        using var operators = await server.Operator();
        var sku = await storefront.Sku(20m, 50);
        var saleSku = await storefront.Sku(9m, 10);
        var saleId = "fuzz-sale-" + Guid.NewGuid().ToString("N")[..8];
        (await operators.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            id = saleId, sku = saleSku, units = 5, price = new { amount = 5m, currency = "EUR" },
            startsAt = DateTimeOffset.UtcNow.AddHours(1), endsAt = DateTimeOffset.UtcNow.AddHours(2), perCustomerLimit = 1, admissionRatePerSecond = 10,
        })).EnsureSuccessStatusCode();
        var (customer, _) = await storefront.CustomerWith(sku, 1);
        using var _customer = customer;
        var order = await (await Storefront.PlaceOrder(customer, "fuzz-seed")).Read<JsonElement>(HttpStatusCode.Created);
        (await customer.PutAsJsonAsync($"/api/v1/cart/items/{sku}", new { quantity = 2 })).EnsureSuccessStatusCode();
        using var guest = await server.NewCustomer();
        var callers = new Dictionary<string, HttpClient> { ["operatorToken"] = operators, ["customerToken"] = customer, ["anonymousToken"] = guest };

        async Task<string> Observe() => string.Join('\n',
            await Text(operators, $"/api/v1/inventory/{sku}/stock"),
            await Text(operators, $"/api/v1/inventory/{saleSku}/stock"),
            await Text(operators, $"/api/v1/flash-sales/{saleId}"),
            await Text(operators, "/api/v1/orders?limit=100"),
            await Text(operators, $"/api/v1/orders/{order.GetProperty("orderId").GetString()}"),
            await Text(operators, $"/api/v1/payments/{order.GetProperty("paymentId").GetString()}"),
            await Text(customer, "/api/v1/cart"));
        var before = await Observe();

        var document = await ApiDocument.Fetch(server);
        var random = new Random(Seed);
        var requests = document.Operations.Where(operation => operation.Mutates).SelectMany(operation => MalformedRequests(operation, random)).ToList();
        Assert.True(requests.Count >= 500, $"only {requests.Count} malformed requests");
        var broken = new List<string>();
        var accepted = new List<string>();
        foreach (var malformed in requests.OrderBy(_ => random.Next()).ToList())
        {
            var accepts = malformed.Operation.Accepts;
            var caller = accepts is null ? customer : callers[new[] { "operatorToken", "customerToken", "anonymousToken" }.First(accepts.Contains)];
            using var request = malformed.ToRequest();
            using var answer = await caller.SendAsync(request);
            var body = await answer.Content.ReadAsStringAsync();
            // A flaw may leave a request valid (a negative adjustment, a receipt without a key): only what the state shows decides.
            if ((int)answer.StatusCode >= 500 || ((int)answer.StatusCode >= 400 && !ApiContractTests.IsProblemWithCode(answer, body)))
            {
                broken.Add($"{malformed}: {(int)answer.StatusCode} {answer.Content.Headers.ContentType} {body[..Math.Min(body.Length, 300)]}");
            }
            else if (answer.IsSuccessStatusCode)
            {
                accepted.Add($"{malformed}: {(int)answer.StatusCode}");
            }
        }

        Assert.True(broken.Count == 0, $"{broken.Count} of {requests.Count} malformed requests were answered with a 5xx or an error that is no problem:\n" + string.Join('\n', broken));
        var after = await Observe();
        Assert.True(before == after, $"The state changed; the requests answered with success were:\n{string.Join('\n', accepted)}\nbefore:\n{before}\nafter:\n{after}");
    }

    private static async Task<string> Text(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Every flaw the fuzzer knows, each alone on an otherwise plausible request.</summary>
    private static IEnumerable<Malformed> MalformedRequests(ApiOperation operation, Random random)
    {
        var path = operation.PathWith(Plausible);
        var headers = operation.HeaderParameters.ToDictionary(name => name, name => (string?)("fuzz-key-" + random.Next(1_000_000)));
        var schema = operation.Body;
        var body = schema is { } s ? PlausibleValue(operation.Document, s, "body") : null;
        HttpContent? Json(JsonNode? node) => node is null ? null : new StringContent(node.ToJsonString().Replace(LoneSurrogate, "\\ud800"), Encoding.UTF8, "application/json");
        Malformed Case(string flaw, string? at = null, HttpContent? content = null, IReadOnlyDictionary<string, string?>? with = null) =>
            new(operation, flaw, at ?? path, content ?? Json(body), with ?? headers);

        foreach (var name in operation.PathParameters)
        {
            // No NUL: Kestrel itself refuses a request target holding %00, with a bare 400, before the gateway sees it.
            foreach (var bad in new[] { " ", "a b", new string('a', 200), "\u00fc\u00df", "..", "a\tb", "a\u0001b", "DROP TABLE;", "\ud83d\ude00" })
            {
                yield return Case($"route {name} = {Describe(bad)}", operation.PathWith(p => p == name ? bad : Plausible(p)));
            }
        }
        foreach (var name in operation.HeaderParameters)
        {
            foreach (var bad in new[] { null, "", new string('k', 256 + random.Next(1000)), "key\u0001", " " })
            {
                yield return Case($"header {name} = {Describe(bad)}", with: new Dictionary<string, string?>(headers) { [name] = bad });
            }
        }
        if (schema is not { } bodySchema)
        {
            yield break;
        }
        foreach (var text in new[] { "", "{", "{\"", "not json", "\u0000", "{}}", "[]", "\"text\"", "7", "null", "{\"a\":1,}", new string('[', 200) + new string(']', 200), RandomBytes(random) })
        {
            yield return Case($"body = {Describe(text)}", content: new StringContent(text, Encoding.UTF8, "application/json"));
        }
        yield return Case("invalid UTF-8 in text", content: InvalidUtf8(body!));
        yield return Case("content type text/plain", content: new StringContent(body!.ToJsonString(), Encoding.UTF8, "text/plain"));
        yield return Case("form instead of JSON", content: new FormUrlEncodedContent([new("a", "1")]));
        yield return Case("no body", content: new ByteArrayContent([]));
        foreach (var (field, flaw, mutated) in FieldFlaws(operation.Document, bodySchema, body!, "", random))
        {
            yield return Case($"{field}: {flaw}", content: Json(mutated));
        }
    }

    /// <summary>For each field, nested ones too: a copy of the body with that field wrong in one way.</summary>
    private static IEnumerable<(string Field, string Flaw, JsonNode Body)> FieldFlaws(ApiDocument document, JsonElement schema, JsonNode body, string at, Random random)
    {
        if (body is not JsonObject || !schema.TryGetProperty("properties", out var properties))
        {
            yield break;
        }
        var required = schema.TryGetProperty("required", out var names) ? names.EnumerateArray().Select(n => n.GetString()).ToHashSet() : [];
        foreach (var property in properties.EnumerateObject())
        {
            var field = at + property.Name;
            var fieldSchema = document.Resolve(property.Value);
            if (required.Contains(property.Name))
            {
                yield return (field, "missing", Without(body, property.Name));
            }
            foreach (var (flaw, value) in WrongValues(fieldSchema, random))
            {
                var copy = body.DeepClone();
                copy[property.Name] = value;
                yield return (field, flaw, copy);
            }
            if (ApiDocument.TypeOf(fieldSchema) == "object" && body[property.Name] is { } nested)
            {
                foreach (var (inner, flaw, mutated) in FieldFlaws(document, fieldSchema, nested, field + ".", random))
                {
                    var copy = body.DeepClone();
                    copy[property.Name] = mutated;
                    yield return (inner, flaw, copy);
                }
            }
        }
    }

    private static JsonNode Without(JsonNode body, string name)
    {
        var copy = body.DeepClone().AsObject();
        copy.Remove(name);
        return copy;
    }

    /// <summary>Values no field of this schema takes.</summary>
    private static IEnumerable<(string Flaw, JsonNode? Value)> WrongValues(JsonElement schema, Random random)
    {
        var huge = new string('x', 100_001 + random.Next(1000));
        if (schema.TryGetProperty("enum", out _))
        {
            return [("undefined name", "NoSuchValue"), ("a number", 42), ("lower-case", "x"), ("NUL", "A\u0000")];
        }
        return ApiDocument.TypeOf(schema) switch
        {
            "integer" => [("text", "7"), ("fraction", 1.5), ("true", true), ("object", new JsonObject()), ("array", new JsonArray()),
                ("2147483648", 2147483648L), ("-2147483649", -2147483649L), ("-1", -1), ("1e400", JsonNode.Parse("1e400"))],
            "number" => [("text", "1"), ("true", true), ("object", new JsonObject()), ("array", new JsonArray()), ("-1", -1), ("1e400", JsonNode.Parse("1e400")),
                ("79228162514264337593543950336", JsonNode.Parse("79228162514264337593543950336"))],
            "boolean" => [("text", "true"), ("number", 1), ("object", new JsonObject())],
            "array" => [("text", "x"), ("object", new JsonObject()), ("number", 7), ("array of numbers", new JsonArray(7, 8)), ("NUL item", new JsonArray("a\u0000"))],
            "object" => [("text", "x"), ("number", 7), ("array", new JsonArray()), ("true", true)],
            _ => [("number", 7), ("true", true), ("object", new JsonObject()), ("array", new JsonArray()), ("NUL", "fuzz\u0000"), ("huge", huge), ("lone surrogate", LoneSurrogate)],
        };
    }

    /// <summary>A plausible value for a field of this schema: the fuzzer spoils one thing at a time.</summary>
    private static JsonNode? PlausibleValue(ApiDocument document, JsonElement schema, string name)
    {
        schema = document.Resolve(schema);
        if (schema.TryGetProperty("enum", out var choices))
        {
            return choices.EnumerateArray().Select(c => c.GetString()).Last();
        }
        switch (ApiDocument.TypeOf(schema))
        {
            case "object" when schema.TryGetProperty("properties", out var properties):
                var value = new JsonObject();
                foreach (var property in properties.EnumerateObject())
                {
                    value[property.Name] = PlausibleValue(document, property.Value, property.Name);
                }
                return value;
            case "object":
                return new JsonObject { ["colour"] = "black" };
            case "array":
                return new JsonArray(schema.TryGetProperty("items", out var items) ? PlausibleValue(document, items, name) : "main");
            case "integer":
                return name switch { "expMonth" => 12, "expYear" => DateTime.UtcNow.Year + 2, _ => 1 };
            case "number":
                return 1.5m;
            case "boolean":
                return true;
        }
        if (schema.TryGetProperty("format", out var format) && format.GetString() == "date-time")
        {
            return DateTimeOffset.UtcNow.AddHours(name.StartsWith("ends", StringComparison.OrdinalIgnoreCase) ? 2 : 1).ToString("O");
        }
        return name switch
        {
            "email" => "fuzz@example.com",
            "password" => "correct horse",
            "currency" => "EUR",
            "country" or "region" => "DE",
            "method" => "standard",
            "number" => "4242424242424242",
            "cvc" => "123",
            "postalCode" => "10115",
            _ => Plausible(name),
        };
    }

    /// <summary>Names of the right shape that name nothing seeded, so a request the fuzzer failed to spoil cannot change the seeded state either.</summary>
    private static string Plausible(string name) => "fuzz-" + name.ToLowerInvariant();

    /// <summary>The body with bytes that are no UTF-8 at the start of its first text value.</summary>
    private static ByteArrayContent InvalidUtf8(JsonNode body)
    {
        var json = Encoding.UTF8.GetBytes(body.ToJsonString()).ToList();
        var text = json.IndexOf((byte)'"', json.IndexOf((byte)':') + 1);
        json.InsertRange(text + 1, [0xFF, 0xFE, 0xC0]);
        var content = new ByteArrayContent(json.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string RandomBytes(Random random)
    {
        var bytes = new byte[64];
        random.NextBytes(bytes);
        return Encoding.Latin1.GetString(bytes);
    }

    private static string Describe(string? value) => value switch
    {
        null => "missing",
        { Length: > 40 } => $"{value.Length} characters",
        _ => JsonSerializer.Serialize(value),
    };
}
