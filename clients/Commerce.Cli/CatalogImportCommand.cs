using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Catalog.Import;

namespace Commerce.Cli;

/// <summary>
/// <c>catalog import FILE</c>: uploads the file through the gateway as an operator, then follows the job with a
/// progress bar (rewritten in place on a terminal, a line per change otherwise) and prints the summary and the
/// first bad rows. Exit code 0 when every row was applied or unchanged, 1 when rows were rejected or the job
/// failed, 2 when it could not start.
/// </summary>
internal static class CatalogImportCommand
{
    private const int BarWidth = 30;
    private const int ErrorsShown = 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static async Task<int> Run(string file, Uri gateway, string? operatorKey, TextWriter output, bool inPlace, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(operatorKey))
        {
            await output.WriteLineAsync("No operator credentials: pass --operator-key or set COMMERCE_OPERATOR_KEY (the gateway's Commerce:Operators:BootstrapKey).");
            return 2;
        }
        if (!File.Exists(file))
        {
            await output.WriteLineAsync($"There is no file {file}.");
            return 2;
        }
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromMinutes(10) };
        var token = await http.PostAsJsonAsync("/api/v1/operators/token", new { key = operatorKey }, cancellationToken);
        if (!token.IsSuccessStatusCode)
        {
            await output.WriteLineAsync($"The gateway at {gateway} refused the operator key ({(int)token.StatusCode}).");
            return 2;
        }
        var accessToken = (await token.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);

        await using var stream = File.OpenRead(file);
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var submitted = await http.PostAsync("/api/v1/catalog/imports", content, cancellationToken);
        if (!submitted.IsSuccessStatusCode)
        {
            await output.WriteLineAsync($"The file was refused ({(int)submitted.StatusCode}): {await submitted.Content.ReadAsStringAsync(cancellationToken)}");
            return 2;
        }
        var job = (await submitted.Content.ReadFromJsonAsync<ImportJob>(Json, cancellationToken))!;
        await output.WriteLineAsync($"Import {job.JobId}: {job.TotalRows:N0} rows queued.");

        var shown = -1;
        while (job.State is ImportJobState.Queued or ImportJobState.Running)
        {
            if (job.ProcessedRows != shown || inPlace)
            {
                await output.WriteAsync((inPlace ? "\r" : "") + Bar(job) + (inPlace ? "" : Environment.NewLine));
                shown = job.ProcessedRows;
            }
            await Task.Delay(pollInterval, cancellationToken);
            job = (await http.GetFromJsonAsync<ImportJob>($"/api/v1/catalog/imports/{job.JobId}", Json, cancellationToken))!;
        }
        await output.WriteLineAsync((inPlace ? "\r" : "") + Bar(job));
        await output.WriteLineAsync($"{job.State}: {job.Applied:N0} applied, {job.Unchanged:N0} unchanged, {job.Rejected:N0} rejected of {job.TotalRows:N0} rows.");
        if (job.Failure is not null)
        {
            await output.WriteLineAsync(job.Failure);
        }
        foreach (var error in job.Errors.Take(ErrorsShown))
        {
            await output.WriteLineAsync($"  line {error.Line}, {error.Field}: {error.Message}");
        }
        if (job.Errors.Count > ErrorsShown || job.NextErrorsAfterLine is not null)
        {
            await output.WriteLineAsync($"  … all bad rows: GET /api/v1/catalog/imports/{job.JobId}");
        }
        return job.State == ImportJobState.Completed && job.Rejected == 0 ? 0 : 1;
    }

    /// <summary><c>[##########--------------------]  33% 1,000/3,000 rows</c></summary>
    internal static string Bar(ImportJob job)
    {
        var done = job.TotalRows == 0 ? 1.0 : (double)job.ProcessedRows / job.TotalRows;
        var filled = (int)Math.Round(done * BarWidth);
        return $"[{new string('#', filled)}{new string('-', BarWidth - filled)}] {(int)Math.Floor(done * 100),3}% {job.ProcessedRows:N0}/{job.TotalRows:N0} rows";
    }
}
