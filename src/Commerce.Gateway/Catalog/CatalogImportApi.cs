using System.Security.Claims;
using Commerce.Catalog.Import;
using Commerce.Gateway.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Commerce.Gateway.Catalog;

/// <summary>
/// Bulk catalog import (operators): a CSV file is checked for its header, stored with a new job and answered
/// with 202 at once; a background worker applies it chunk by chunk (<see cref="CatalogImportRunner"/>), and GET
/// tells its progress and bad rows.
/// </summary>
internal static class CatalogImportApi
{
    public const string CsvMediaType = "text/csv";

    public static IEndpointRouteBuilder MapCatalogImportApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/catalog/imports").WithTags("Catalog").RequireAuthorization(GatewayIdentity.OperatorPolicy);
        // Accepts: routing answers a body of another type with 415.
        api.MapPost("", Submit)
            .Accepts<string>(CsvMediaType)
            .WithName("SubmitCatalogImport").WithSummary("Queues a CSV file of products and SKUs for import, one row per SKU (operators; Idempotency-Key optional)")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/{jobId}", Get)
            .WithName("GetCatalogImport").WithSummary("An import's state and progress, with its bad rows a page of lines at a time (operators)");
        return routes;
    }

    private static async Task<Results<Accepted<ImportJob>, ValidationProblem, ProblemHttpResult>> Submit(
        HttpRequest request, [FromHeader(Name = Idempotency.KeyHeader)] string? idempotencyKey, ClaimsPrincipal user,
        CatalogImportStore imports, ImportJobSignal signal, IOptions<CatalogImportOptions> options, CancellationToken cancellationToken)
    {
        if (idempotencyKey is not null && !Identifiers.IsIdempotencyKey(idempotencyKey))
        {
            return Problems.Invalid(Idempotency.KeyHeader, Idempotency.FormatMessage);
        }
        var file = await ReadFile(request, options.Value.MaxFileBytes, cancellationToken);
        if (file is null)
        {
            return Problems.About(StatusCodes.Status413PayloadTooLarge, "The file is too large.", "file-too-large", "body",
                $"A file has at most {options.Value.MaxFileBytes / (1024 * 1024)} MiB: split a larger catalog into several imports.");
        }
        var check = CatalogImportFile.Check(file);
        if (check.HeaderErrors.Count > 0)
        {
            return Problems.Invalid(check.HeaderErrors.ToDictionary(e => e.Key, e => new[] { e.Value }));
        }
        var (outcome, jobId) = await imports.Submit(file, check.Rows, user.OperatorName(), idempotencyKey, cancellationToken);
        if (outcome == ImportSubmission.KeyReusedWithAnotherFile)
        {
            return Problems.Unprocessable("idempotency-key-reused", Idempotency.KeyHeader, "This Idempotency-Key was used for another file.");
        }
        if (outcome == ImportSubmission.Replayed)
        {
            request.HttpContext.Response.MarkReplayed();
        }
        signal.JobQueued();
        return TypedResults.Accepted($"/api/v1/catalog/imports/{jobId}", (await imports.Get(jobId, cancellationToken: cancellationToken))!);
    }

    private static async Task<Results<Ok<ImportJob>, ValidationProblem, ProblemHttpResult>> Get(string jobId, CatalogImportStore imports, int errorsAfterLine = 0)
    {
        var errors = new FieldErrors()
            .Check(Guid.TryParse(jobId, out var id), "jobId", "An import job id is the id POST /api/v1/catalog/imports answered.")
            .Check(errorsAfterLine >= 0, "errorsAfterLine", "'errorsAfterLine' is a line number (0 for the first page).");
        if (errors.Any)
        {
            return errors.Problem();
        }
        return await imports.Get(id, errorsAfterLine) is { } job
            ? TypedResults.Ok(job)
            : Problems.NotFound("unknown-import", $"There is no import '{jobId}'.");
    }

    /// <summary>The body, or null when it is larger than <paramref name="maxBytes"/> (read no further than that).</summary>
    private static async Task<byte[]?> ReadFile(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes + 1L;
        }
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > maxBytes)
            {
                return null;
            }
            body.Write(buffer, 0, read);
        }
        return body.ToArray();
    }
}
