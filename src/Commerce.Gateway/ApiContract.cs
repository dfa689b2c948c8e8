using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Commerce.Accounts;
using Commerce.Gateway.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Commerce.Gateway;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c> as a contract: who may call each operation and what
/// it answers when they may not, derived from each endpoint's own metadata — its authorization policy,
/// its rate-limited action, its body — so an endpoint mapped tomorrow is described as truly as today's.
/// Schemas say what the request bodies really take: text is text, and a field that may be null may be left out.
/// </summary>
internal static class ApiContract
{
    public const string DocumentName = "v1";

    public const string ProblemSchema = "ProblemDetails";

    public const string RetryAfterHeader = "Retry-After";

    /// <summary>The operation's rate limits: <c>[{ "per": "customer" | "address", "permitLimit": 10, "windowSeconds": 10 }]</c>.</summary>
    public const string RateLimitsExtension = "x-rate-limits";

    /// <summary>The kinds of bearer token the gateway issues, each with callers that hold one, to test a policy on.</summary>
    internal static readonly TokenKind[] TokenKinds =
    [
        new("anonymousToken",
            "A guest customer's token from POST /api/v1/customers/anonymous: carts and flash sales, but not orders.",
            [GatewayIdentity.Customer(GatewayIdentity.AnonymousCustomerPrefix + "example")]),
        new("customerToken",
            "A customer account's token from POST /api/v1/accounts/login (renewed at /api/v1/accounts/refresh).",
            [GatewayIdentity.SignedIn(new Account("example", "customer@example.com", AccountRole.Customer, default), "example")]),
        new("operatorToken",
            "An operator's token: POST /api/v1/accounts/login with an operator account, or POST /api/v1/operators/token with the bootstrap key.",
            [GatewayIdentity.SignedIn(new Account("example", "operator@example.com", AccountRole.Operator, default), "example"), GatewayIdentity.Operator("bootstrap")]),
    ];

    internal sealed record TokenKind(string Scheme, string Description, ClaimsPrincipal[] Holders);

    public static IServiceCollection AddApiContract(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                foreach (var kind in TokenKinds)
                {
                    document.Components.SecuritySchemes[kind.Scheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        Description = kind.Description + " Send it as 'Authorization: Bearer <token>'.",
                    };
                }
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(DescribeAccess);
            options.AddSchemaTransformer(DescribeFields);
        });

    /// <summary>The operation's security requirement, and the 400/415, 401, 403, 404 and 429 answers its endpoint's route, body, policy and rate limit make possible.</summary>
    private static async Task DescribeAccess(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document!;
        var services = context.ApplicationServices;
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.Responses ??= new OpenApiResponses();
        var problem = new OpenApiSchemaReference(ProblemSchema, document);

        // A route that names a resource (a SKU, an order) may name one that does not exist, except a PUT to the resource itself, which creates it.
        if (context.Description.RelativePath is { } route && route.Contains('{') && !(context.Description.HttpMethod == HttpMethods.Put && route.EndsWith('}')))
        {
            operation.Responses.TryAdd("404", Answer("Nothing by that name (or, for a customer, nothing of theirs: another customer's is not told apart).", problem));
        }
        if (operation.RequestBody is not null)
        {
            operation.Responses.TryAdd("400", Answer("The body is not the JSON this operation reads, or a field is invalid (the problem names it).", problem));
            operation.Responses.TryAdd("415", Answer("The body is not sent as application/json.", problem));
        }

        if (await PolicyOf(metadata, services) is { } policy)
        {
            var authorization = services.GetRequiredService<IAuthorizationService>();
            var accepted = new List<TokenKind>();
            foreach (var kind in TokenKinds)
            {
                foreach (var holder in kind.Holders)
                {
                    if ((await authorization.AuthorizeAsync(holder, policy)).Succeeded)
                    {
                        accepted.Add(kind);
                        break;
                    }
                }
            }
            // Alternatives: any one of the accepted kinds of token will do.
            operation.Security = accepted
                .Select(kind => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(kind.Scheme, document)] = [] })
                .ToList();
            operation.Responses["401"] = Answer("No bearer token, or one that is invalid, expired or of a session that signed out.", problem,
                ("WWW-Authenticate", "Bearer: the scheme to sign in with."));
            if (accepted.Count < TokenKinds.Length)
            {
                operation.Responses["403"] = Answer(
                    $"The token is valid but not of a kind this operation accepts ({string.Join(", ", accepted.Select(kind => kind.Scheme))}).", problem);
            }
        }

        if (metadata.OfType<RateLimitedAction>().FirstOrDefault() is { } action)
        {
            var options = services.GetRequiredService<IOptions<RateLimitOptions>>().Value;
            var limits = new[] { ("customer", GatewayRateLimits.PerCustomer(options, action.Name)), ("address", GatewayRateLimits.PerAddress(options, action.Name)) }
                .Where(limit => limit.Item2 is not null)
                .Select(limit => (Per: limit.Item1, Rule: limit.Item2!))
                .ToList();
            // For clients that pace themselves: the limits in force, machine-readable.
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[RateLimitsExtension] = new JsonNodeExtension(new JsonArray(limits
                .Select(limit => (JsonNode)new JsonObject { ["per"] = limit.Per, ["permitLimit"] = limit.Rule.PermitLimit, ["windowSeconds"] = limit.Rule.Window.TotalSeconds })
                .ToArray()));
            operation.Responses["429"] = Answer(
                $"Rate limited (code 'rate-limited'): at most {string.Join(" and ", limits.Select(limit => $"{limit.Rule.PermitLimit} per {Seconds(limit.Rule.Window)} s per {limit.Per}"))}. " +
                "Nothing was done; retry after Retry-After.", problem,
                (RetryAfterHeader, "Whole seconds to wait before retrying; the problem's 'retryAfterSeconds' says the same."));
        }
    }

    private static string Seconds(TimeSpan window) => window.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The endpoint's combined authorization policy, as the authorization middleware evaluates it; null for a public endpoint.</summary>
    private static async Task<AuthorizationPolicy?> PolicyOf(IList<object> metadata, IServiceProvider services)
    {
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            return null;
        }
        return await AuthorizationPolicy.CombineAsync(services.GetRequiredService<IAuthorizationPolicyProvider>(),
            metadata.OfType<IAuthorizeData>(), metadata.OfType<AuthorizationPolicy>());
    }

    private static OpenApiResponse Answer(string description, IOpenApiSchema problem, params (string Name, string Description)[] headers) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
        Headers = headers.Length == 0
            ? null
            : headers.ToDictionary(h => h.Name, h => (IOpenApiHeader)new OpenApiHeader
            {
                Description = h.Description,
                Schema = new OpenApiSchema { Type = h.Name == RetryAfterHeader ? JsonSchemaType.Integer : JsonSchemaType.String },
            }),
    };

    /// <summary>
    /// Text is typed as text (the request bodies' own string converter hides it from the generator);
    /// a field that may be null may also be left out, so it is not required; every problem has its <c>code</c>.
    /// </summary>
    private static Task DescribeFields(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo;
        if (type.Type == typeof(string) && schema.Type is null)
        {
            schema.Type = context.JsonPropertyInfo is { } property && MayBeNull(property) ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
        }
        if (type.ElementType == typeof(string))
        {
            // Lists and maps of text: the generator drops the untyped item schema altogether.
            if (type.Kind == JsonTypeInfoKind.Enumerable)
            {
                schema.Items ??= new OpenApiSchema { Type = JsonSchemaType.String };
            }
            else if (type.Kind == JsonTypeInfoKind.Dictionary)
            {
                schema.AdditionalProperties ??= new OpenApiSchema { Type = JsonSchemaType.String };
            }
        }
        if (type.Kind == JsonTypeInfoKind.Object && schema.Required is { Count: > 0 } required)
        {
            foreach (var property in type.Properties.Where(p => MayBeNull(p) && !p.IsRequired))
            {
                required.Remove(property.Name);
            }
        }
        if (typeof(ProblemDetails).IsAssignableFrom(type.Type) && schema.Properties is { } members)
        {
            members["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong, as a stable code to act on (e.g. 'out-of-stock')." };
            (schema.Required ??= new HashSet<string>()).Add("code");
        }
        return Task.CompletedTask;
    }

    private static bool MayBeNull(JsonPropertyInfo property) =>
        property.IsSetNullable || Nullable.GetUnderlyingType(property.PropertyType) is not null;
}
