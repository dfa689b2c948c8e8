using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Commerce.Persistence;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway;

/// <summary>
/// How request bodies are read, and what a client hears when one cannot be: numbers are numbers
/// (<c>"2"</c> is not a quantity), enums are their names (an undefined <c>42</c> is refused), text
/// that PostgreSQL cannot store (the NUL character) is refused at the door — so a bad field never
/// reaches a grain, let alone a commit it shares with other callers — and every such refusal is an
/// RFC 7807 problem with a stable <c>code</c> naming the field by its path (<c>shipping.address.city</c>).
/// </summary>
internal static partial class RequestBodies
{
    public const string InvalidJson = "invalid-json";
    public const string InvalidRequest = "invalid-request";

    public static IServiceCollection AddRequestBodies(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(json => Configure(json.SerializerOptions));
        // Binding failures reach the exception handler, which answers them as problems.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestHandler>();
        return services;
    }

    public static void Configure(JsonSerializerOptions options)
    {
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        options.Converters.Add(new StorableStringConverter());
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(RequireValueParameters);
    }

    /// <summary>
    /// A number or flag left out would be read as 0 or false, a value nobody sent (a price of 0): a
    /// constructor's non-nullable value parameter without a default must be sent, as the API document says.
    /// </summary>
    private static void RequireValueParameters(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            if (property.AssociatedParameter is { HasDefaultValue: false } && property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null)
            {
                property.IsRequired = true;
            }
        }
    }

    /// <summary>Strings as usual, but one holding NUL is a JSON error at its own path.</summary>
    private sealed class StorableStringConverter : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Checked(reader.GetString());

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Checked(reader.GetString())!;

        public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

        private static string? Checked(string? value) => StorableText.IsStorable(value) ? value : throw new UnstorableTextException();
    }

    /// <summary>The converter's refusal: a JSON error at the string's path, told apart from a type mismatch by its type.</summary>
    private sealed class UnstorableTextException() : JsonException(StorableText.Refusal);

    /// <summary>A body that is not the JSON the endpoint reads, or a route or query value that does not parse.</summary>
    private sealed partial class BadRequestHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException bad || context.Response.HasStarted)
            {
                return false;
            }
            var (code, field, message) = bad.InnerException switch
            {
                // A reader error inside: the text is no JSON at all (malformed, or it breaks off).
                JsonException { InnerException: JsonException } syntax => (InvalidJson, null,
                    $"The body is not valid JSON: it is malformed or breaks off (line {syntax.LineNumber + 1}, byte {syntax.BytePositionInLine})."),
                JsonException json => (InvalidJson, FieldOf(json.Path), Explain(json)),
                _ => (InvalidRequest, ParameterOf(bad.Message), bad.Message),
            };
            var problem = Problems.About(bad.StatusCode, "The request is not valid.", code, field ?? "body", message);
            await problem.ExecuteAsync(context);
            return true;
        }

        /// <summary><c>$.shipping.address.city</c> → <c>shipping.address.city</c>; the root (<c>$</c>) is the body itself.</summary>
        private static string? FieldOf(string? path) =>
            path is null or "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

        /// <summary>The NUL refusal as such, else what JSON expected there.</summary>
        private static string Explain(JsonException json) =>
            json is UnstorableTextException
                ? StorableText.Refusal
                : json.Path is null or "$"
                    ? "The body is not the JSON object this request takes."
                    : $"'{FieldOf(json.Path)}' does not have the expected JSON type or lacks a required member (a number where a number is expected, a known name for a choice, text for text).";

        /// <summary>Minimal APIs name a parameter that failed to bind only in the message: <c>Failed to bind parameter "int limit" from "abc".</c></summary>
        private static string? ParameterOf(string message) => ParameterPattern().Match(message) is { Success: true } match ? match.Groups[1].Value : null;

        [GeneratedRegex("parameter \"(?:[^\"]+ )?([A-Za-z_][A-Za-z0-9_]*)\"")]
        private static partial Regex ParameterPattern();
    }
}
