using Commerce.Grains;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commerce.Gateway;

/// <summary>
/// RFC 7807 problem responses. Every problem carries a stable <c>code</c>; problems about one input
/// name it under <c>errors</c>, as ASP.NET Core's validation problems do.
/// </summary>
internal static class Problems
{
    /// <summary>400: the request is malformed; <paramref name="errors"/> maps each field to what is wrong with it.</summary>
    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is not valid.", extensions: Code("invalid-request"));

    public static ValidationProblem Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>422: well-formed, but <paramref name="field"/> cannot be acted on.</summary>
    public static ProblemHttpResult Unprocessable(string code, string field, string message) =>
        About(StatusCodes.Status422UnprocessableEntity, "The request cannot be processed.", code, field, message);

    /// <summary>A problem of any status about one field, with extra members (an order id, a gateway's decline code).</summary>
    public static ProblemHttpResult About(int status, string title, string code, string? field, string message, IReadOnlyDictionary<string, object?>? more = null)
    {
        var extensions = Code(code);
        if (field is not null)
        {
            extensions["errors"] = new Dictionary<string, string[]> { [field] = [message] };
        }
        foreach (var (key, value) in more ?? new Dictionary<string, object?>())
        {
            extensions[key] = value;
        }
        return TypedResults.Problem(detail: message, statusCode: status, title: title, type: TypeWithoutDefault(status), extensions: extensions);
    }

    /// <summary>ASP.NET Core fills in <c>type</c> for the common statuses; these two it leaves empty.</summary>
    private static string? TypeWithoutDefault(int status) => status switch
    {
        StatusCodes.Status402PaymentRequired => "https://tools.ietf.org/html/rfc9110#section-15.5.3",
        StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
        _ => null,
    };

    public static ProblemHttpResult NotFound(string code, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status404NotFound, title: "Not found.", extensions: Code(code));

    /// <summary>409: the request conflicts with the resource's current state (sold out, over, already exists).</summary>
    public static ProblemHttpResult Conflict(string code, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status409Conflict, title: "The request conflicts with the current state.", extensions: Code(code));

    public static ProblemHttpResult Unauthorized(string code, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in.", extensions: Code(code));

    private static Dictionary<string, object?> Code(string code) => new() { ["code"] = code };

    /// <summary>
    /// Problems the framework writes itself (the authorization middleware's 401 and 403, an unknown
    /// route's 404, a wrong method's 405) get a code too, so that every problem has one; ours keep theirs.
    /// </summary>
    public static void WithCode(ProblemDetailsContext context) =>
        context.ProblemDetails.Extensions.TryAdd("code", context.ProblemDetails.Status switch
        {
            StatusCodes.Status401Unauthorized => "unauthenticated",
            StatusCodes.Status403Forbidden => "forbidden",
            StatusCodes.Status404NotFound => "not-found",
            StatusCodes.Status405MethodNotAllowed => "method-not-allowed",
            _ => "error",
        });
}

/// <summary>Collects field errors, so that one response names every problem of a request.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public FieldErrors Check(bool valid, string field, string message)
    {
        if (!valid && !_errors.ContainsKey(field))
        {
            _errors[field] = [message];
        }
        return this;
    }

    public ValidationProblem Problem() => Problems.Invalid(_errors);
}

/// <summary>Shapes of identifiers that come in through routes and bodies.</summary>
internal static class Identifiers
{
    public const string CodeRule = Codes.Rule;
    public const string SlugRule = "1 to 64 lower-case letters, digits and dashes, starting with a letter or digit.";

    /// <summary>SKUs, products, categories, warehouse ids: <see cref="Codes"/>.</summary>
    public static bool IsCode(string? value) => Codes.IsValid(value);

    /// <summary>Sale ids: lower-case letters, digits and dashes, at most 64, chosen by the operator so that creation can be retried.</summary>
    public static bool IsSlug(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 64 && char.IsAsciiLetterOrDigit(value[0]) &&
        value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>Idempotency keys: printable, at most 255 characters (as Stripe allows).</summary>
    public static bool IsIdempotencyKey(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 255 && value.All(c => c >= ' ' && c < 0x7f);
}
