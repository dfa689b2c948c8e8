using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Commerce.Gateway.Tests;

/// <summary>The gateway's OpenAPI document as the contract and fuzz tests read it: its operations, their security, answers and schemas.</summary>
internal sealed partial class ApiDocument(JsonElement root)
{
    public static async Task<ApiDocument> Fetch(GatewayServer server)
    {
        using var anonymous = server.Anonymous();
        return new ApiDocument(await (await anonymous.GetAsync("/openapi/v1.json")).Read<JsonElement>());
    }

    public IReadOnlyList<string> SecuritySchemes =>
        root.GetProperty("components").GetProperty("securitySchemes").EnumerateObject().Select(scheme => scheme.Name).ToList();

    public IReadOnlyList<ApiOperation> Operations =>
        (from path in root.GetProperty("paths").EnumerateObject()
         from operation in path.Value.EnumerateObject()
         select new ApiOperation(this, new HttpMethod(operation.Name.ToUpperInvariant()), path.Name, operation.Value)).ToList();

    /// <summary>The schema itself: a <c>$ref</c> followed, a nullable <c>oneOf [null, X]</c> taken as X.</summary>
    public JsonElement Resolve(JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!["#/components/schemas/".Length..];
            return Resolve(root.GetProperty("components").GetProperty("schemas").GetProperty(name));
        }
        if (schema.TryGetProperty("oneOf", out var choices) && choices.EnumerateArray().FirstOrDefault(c => !IsNull(c)) is { ValueKind: JsonValueKind.Object } other)
        {
            return Resolve(other);
        }
        return schema;
    }

    private static bool IsNull(JsonElement schema) => schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "null";

    /// <summary>The schema's JSON type other than null: object, array, string, integer, number, boolean; null when untyped.</summary>
    public static string? TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            return schema.TryGetProperty("enum", out _) ? "string" : null;
        }
        return type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()).FirstOrDefault(t => t != "null")
            : type.GetString();
    }

    [GeneratedRegex(@"\{([^}]+)\}")]
    public static partial Regex RouteParameter();
}

internal sealed record ApiOperation(ApiDocument Document, HttpMethod Method, string Route, JsonElement Node)
{
    public override string ToString() => $"{Method} {Route}";

    /// <summary>The security schemes any one of which the operation accepts; null when it is public.</summary>
    public IReadOnlyList<string>? Accepts =>
        Node.TryGetProperty("security", out var security)
            ? security.EnumerateArray().SelectMany(requirement => requirement.EnumerateObject().Select(scheme => scheme.Name)).ToList()
            : null;

    public bool Lists(HttpStatusCode status) => Node.GetProperty("responses").TryGetProperty(((int)status).ToString(CultureInfo.InvariantCulture), out _);

    public JsonElement Responses => Node.GetProperty("responses");

    public bool Mutates => Method != HttpMethod.Get && Method != HttpMethod.Head;

    public IReadOnlyList<string> PathParameters => ApiDocument.RouteParameter().Matches(Route).Select(m => m.Groups[1].Value).ToList();

    public IReadOnlyList<string> HeaderParameters =>
        Node.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "header").Select(p => p.GetProperty("name").GetString()!).ToList()
            : [];

    /// <summary>The JSON schema of the request body, resolved; null when the operation takes none.</summary>
    public JsonElement? Body =>
        Node.TryGetProperty("requestBody", out var body) && body.GetProperty("content").TryGetProperty("application/json", out var json)
            ? Document.Resolve(json.GetProperty("schema"))
            : null;

    /// <summary>The path with each route parameter replaced (escaped) by <paramref name="value"/> of its name.</summary>
    public string PathWith(Func<string, string> value) =>
        ApiDocument.RouteParameter().Replace(Route, m => Uri.EscapeDataString(value(m.Groups[1].Value)));
}
