using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Commerce.Bench.Harness;
using Commerce.Testing;

namespace Commerce.Bench.Import;

/// <summary>One import's figures: rows per second from the upload's answer to the job's completion.</summary>
public sealed record ImportResult(string Scenario, string Approach, int Rows, double Seconds, double RowsPerSec, int Applied, int Unchanged, int Rejected);

/// <summary>
/// <c>import</c>: a generated catalog of <c>rows</c> SKUs (4 per product, with options, images and attributes)
/// imported through the API into a product silo process, then the same file again (every row unchanged).
/// Correctness: the first import applies every row, the second none.
/// </summary>
internal static class ImportBenchmark
{
    public static async Task<int> RunAsync(int rows, BenchEnvironment environment)
    {
        var postgres = environment.RequirePostgres();
        await BenchDatabase.ResetAsync(postgres);
        await using var silo = await SiloProcess.StartAsync(postgres, "bench-import", settings: BenchSiloSettings.With(null));
        using var signedIn = await OperatorClient.SignInAsync(silo.HttpPort);
        // A 100,000-row upload takes longer than the sign-in client's timeout on a busy machine.
        using var operators = new HttpClient { BaseAddress = signedIn.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        operators.DefaultRequestHeaders.Authorization = signedIn.DefaultRequestHeaders.Authorization;
        var file = Catalog(rows);
        Report.Progress($"== import: {rows:N0} rows ({file.Length / (1024.0 * 1024):0.0} MiB), 4 SKUs per product");

        var first = await ImportAsync(operators, file, "first", rows);
        var again = await ImportAsync(operators, file, "re-import", rows);
        if (first.Applied != rows || again.Applied != 0 || again.Unchanged != rows)
        {
            Report.Fail($"import: the first import applied {first.Applied} of {rows} rows, the re-import applied {again.Applied} and left {again.Unchanged} unchanged");
        }
        Report.Progress("");
        Report.Progress($"{"import",-10} {"rows",9} {"seconds",8} {"rows/s",9}");
        foreach (var r in new[] { first, again })
        {
            Report.Progress($"{r.Approach,-10} {r.Rows,9:N0} {r.Seconds,8:0.0} {r.RowsPerSec,9:N0}");
        }
        return Report.CheckFailed ? 1 : 0;
    }

    private static async Task<ImportResult> ImportAsync(HttpClient operators, byte[] file, string name, int rows)
    {
        var clock = Stopwatch.StartNew();
        using var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var submitted = await operators.PostAsync("/api/v1/catalog/imports", content);
        submitted.EnsureSuccessStatusCode();
        var location = submitted.Headers.Location!.OriginalString;
        var job = await Eventually.Value(() => operators.GetFromJsonAsync<JsonElement>(location),
            j => j.GetProperty("state").GetString() is "Completed" or "Failed", "the import to finish", TimeSpan.FromMinutes(30));
        var seconds = clock.Elapsed.TotalSeconds;
        var result = new ImportResult("import", name, rows, Math.Round(seconds, 2), Math.Round(rows / seconds, 0),
            job.GetProperty("applied").GetInt32(), job.GetProperty("unchanged").GetInt32(), job.GetProperty("rejected").GetInt32());
        Report.Line(result);
        return result;
    }

    /// <summary>Products of 4 SKUs (sizes S to XL) with a brand, attributes, options and an image each.</summary>
    private static byte[] Catalog(int rows)
    {
        var csv = new StringBuilder("product_id,product_title,description,brand,attributes,sku,sku_title,options,price,currency,images,active\n");
        string[] sizes = ["S", "M", "L", "XL"];
        for (var i = 0; i < rows; i++)
        {
            var product = i / 4;
            var size = sizes[i % 4];
            var price = (9.99m + product % 90).ToString(CultureInfo.InvariantCulture);
            csv.Append(CultureInfo.InvariantCulture,
                $"bench-p{product:000000},Bench shirt {product},\"Soft, breathable cotton; model {product}.\",Brand {product % 50},material=cotton|fit=regular,bench-p{product:000000}-{size},Bench shirt {product} {size},size={size}|colour=black,{price},EUR,https://img.example.com/{product}/{size}.jpg,true\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }
}
