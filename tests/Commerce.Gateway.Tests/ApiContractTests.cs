using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Commerce.Gateway.Tests;

/// <summary>
/// The OpenAPI document against the running gateway, operation by operation: a caller without a token
/// and a caller with each kind of token an operation does not accept get the answers its security
/// requirement promises (401, 403); public operations never answer 401 or 403; each documented rate
/// limit holds, with Retry-After; and every status seen is one the operation lists, as a problem with a code.
/// </summary>
public sealed class ApiContractTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    /// <summary>A client holding each kind of token the document names as a security scheme.</summary>
    private async Task<Dictionary<string, HttpClient>> Tokens() => new()
    {
        ["anonymousToken"] = await server.NewCustomer(),
        ["customerToken"] = (await server.SignedInCustomer()).Client,
        ["operatorToken"] = await server.Operator(),
    };

    /// <summary>Names that look real but name nothing, and an empty object where a body goes: no call here changes anything.</summary>
    private static Task<HttpResponseMessage> Send(HttpClient client, ApiOperation operation)
    {
        var request = new HttpRequestMessage(operation.Method, operation.PathWith(name => "contract-" + name.ToLowerInvariant()));
        if (operation.Body is not null)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }
        return client.SendAsync(request);
    }

    [Fact]
    public async Task Every_operation_answers_callers_without_the_right_token_as_its_security_requirement_says()
    {
        var document = await ApiDocument.Fetch(server);
        var tokens = await Tokens();
        Assert.Equal(tokens.Keys.Order(), document.SecuritySchemes.Order());
        var broken = new List<string>();

        foreach (var operation in document.Operations)
        {
            using var anonymous = server.Anonymous();
            if (operation.Accepts is not { } accepted)
            {
                await Expect(operation, "no token", await Send(anonymous, operation), status => status is not HttpStatusCode.Unauthorized and not HttpStatusCode.Forbidden, broken);
                foreach (var (scheme, client) in tokens)
                {
                    await Expect(operation, scheme, await Send(client, operation), status => status is not HttpStatusCode.Unauthorized and not HttpStatusCode.Forbidden, broken);
                }
                continue;
            }
            Assert.NotEmpty(accepted);
            await Expect(operation, "no token", await Send(anonymous, operation), status => status == HttpStatusCode.Unauthorized, broken);
            foreach (var (scheme, client) in tokens.Where(token => !accepted.Contains(token.Key)))
            {
                await Expect(operation, scheme, await Send(client, operation), status => status == HttpStatusCode.Forbidden, broken);
            }
        }

        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    [Fact]
    public async Task Every_documented_per_customer_rate_limit_answers_429_with_retry_after_once_used_up()
    {
        var document = await ApiDocument.Fetch(server);
        var limited = document.Operations.Select(operation => (operation, Limit: PerCustomerLimit(operation))).Where(o => o.Limit is not null).ToList();
        Assert.Contains(limited, o => o.operation.Route == "/api/v1/orders");
        var broken = new List<string>();

        foreach (var (operation, limit) in limited)
        {
            // A fresh caller of a kind the operation accepts, so that its window is its own.
            using var caller = operation.Accepts!.Contains("customerToken") ? (await server.SignedInCustomer()).Client : await server.NewCustomer();
            for (var i = 0; i < limit; i++)
            {
                await Expect(operation, $"call {i + 1} of {limit}", await Send(caller, operation), status => status != HttpStatusCode.TooManyRequests, broken);
            }
            var refused = await Send(caller, operation);
            await Expect(operation, "one call past the limit", refused, status => status == HttpStatusCode.TooManyRequests, broken);
            if (!int.TryParse(refused.Headers.RetryAfter?.ToString(), out var seconds) || seconds < 1)
            {
                broken.Add($"{operation}: a 429 without whole seconds in Retry-After ({refused.Headers.RetryAfter})");
            }
            if (!operation.Responses.GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _))
            {
                broken.Add($"{operation}: its 429 does not document Retry-After");
            }
        }

        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    /// <summary>The operation's documented per-customer permit limit, when it has one small enough to use up here.</summary>
    private static int? PerCustomerLimit(ApiOperation operation) =>
        operation.Node.TryGetProperty("x-rate-limits", out var limits)
            ? limits.EnumerateArray().Where(l => l.GetProperty("per").GetString() == "customer").Select(l => l.GetProperty("permitLimit").GetInt32()).Where(n => n <= 100).Cast<int?>().FirstOrDefault()
            : null;

    /// <summary>The answer is what was expected, listed among the operation's responses and, when an error, a problem with a code.</summary>
    private static async Task Expect(ApiOperation operation, string caller, HttpResponseMessage answer, Func<HttpStatusCode, bool> expected, List<string> broken)
    {
        var status = answer.StatusCode;
        var body = await answer.Content.ReadAsStringAsync();
        if (!expected(status))
        {
            broken.Add($"{operation} ({caller}): unexpected {(int)status} {body}");
        }
        if (!operation.Lists(status))
        {
            broken.Add($"{operation} ({caller}): answered {(int)status}, which its document does not list");
        }
        if ((int)status >= 400 && !IsProblemWithCode(answer, body))
        {
            broken.Add($"{operation} ({caller}): {(int)status} is not a problem with a code: {answer.Content.Headers.ContentType} {body}");
        }
    }

    internal static bool IsProblemWithCode(HttpResponseMessage answer, string body)
    {
        if (answer.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return false;
        }
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
