using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Catalog.Import;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Commerce.Gateway.Tests.CatalogImports;

namespace Commerce.Gateway.Tests;

/// <summary>Bulk import through the API, run by the server's own background worker.</summary>
public sealed class CatalogImportApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    [Fact]
    public async Task Good_rows_are_applied_and_each_bad_row_is_reported_with_its_line_and_field()
    {
        var p = "imp-" + Guid.NewGuid().ToString("N")[..8];
        var category = p + "-shirts";
        await using (var insert = server.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "INSERT INTO catalog_categories (category_id, name, slug, path) VALUES ($1, 'Shirts', $1, '/' || $1)"))
        {
            insert.Parameters.Add(new() { Value = category });
            await insert.ExecuteNonQueryAsync();
        }
        using var operators = await server.Operator();
        string[] rows =
        [
            Row(p + "-1", p + "-a", category: category),                                          // line 2
            Row(p + "-1", p + "-b", "25", category).Replace("size=M", "size=L"),                   // line 3
            Row(p + "-2", p + "-c", "12.34567"),                                                    // line 4: price
            Row(p + "-2", p + "-d").Replace(",EUR,", ",eur,"),                                     // line 5: currency
            Row(p + "-3", p + "-e", category: p + "-nowhere"),                                     // line 6: unknown category
            Row(p + "-1", p + "-a", category: category),                                           // line 7: duplicate SKU
            Row(p + "-2", p + "-f").Replace($"Shirt {p}-f", "Shirt\0f"),                            // line 8: NUL
            Row(p + "-1", p + "-g", category: category).Replace($"Shirt {p}-1,", "Other title,"), // line 9: disagrees with line 2
            Row(p + "-2", p + "-h").Replace("size=M|colour=black", "size"),                         // line 10: options
            $"{p}-4,Mug,\"Holds tea,\nand coffee\",,,,{p}-i,Mug,,8.5,EUR,,true",                   // lines 11-12, a quoted line break
            $"{p}-4,Mug,\"Holds tea,\nand coffee\",,,,{p}-j,Mug,,-1,EUR,,true",                  // line 13: price
        ];
        var job = await Finished(operators, (await Submit(operators, rows)).JobId);

        Assert.Equal((ImportJobState.Completed, 11, 11, 3, 0, 8), (job.State, job.TotalRows, job.ProcessedRows, job.Applied, job.Unchanged, job.Rejected));
        Assert.Equal(
            [(4, "price"), (5, "currency"), (6, "category_id"), (7, "sku"), (8, "sku_title"), (9, "product_title"), (10, "options"), (13, "price")],
            job.Errors.Select(e => (e.Line, e.Field)));

        using var anonymous = server.Anonymous();
        var shirt = await (await anonymous.GetAsync($"/api/v1/catalog/products/{p}-1")).Read<JsonElement>();
        var skus = shirt.GetProperty("skus").EnumerateArray().ToList();
        Assert.Equal([p + "-a", p + "-b"], skus.Select(s => s.GetProperty("code").GetString()));
        Assert.Equal(25m, skus[1].GetProperty("price").GetProperty("amount").GetDecimal());
        Assert.Equal("L", skus[1].GetProperty("options").GetProperty("size").GetString());
        var mug = await (await anonymous.GetAsync($"/api/v1/catalog/products/{p}-4")).Read<JsonElement>();
        Assert.Equal("Holds tea,\nand coffee", mug.GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/v1/catalog/products/{p}-3")).StatusCode);
    }

    [Fact]
    public async Task Importing_the_same_file_again_changes_nothing_and_a_new_price_leaves_one_history_row_by_the_import()
    {
        var p = "imp-" + Guid.NewGuid().ToString("N")[..8];
        using var operators = await server.Operator();
        var rows = Enumerable.Range(0, 12).Select(i => Row($"{p}-{i / 4}", $"{p}-{i}")).ToList();
        var first = await Finished(operators, (await Submit(operators, rows)).JobId);
        Assert.Equal((12, 0, 0), (first.Applied, first.Unchanged, first.Rejected));
        Assert.Equal(12, await PriceHistoryRows(server.Services, p + "-", $"import:{first.JobId}"));

        var again = await Finished(operators, (await Submit(operators, rows)).JobId);
        Assert.Equal((ImportJobState.Completed, 0, 12, 0), (again.State, again.Applied, again.Unchanged, again.Rejected));
        Assert.Equal(12, await PriceHistoryRows(server.Services, p + "-"));

        rows[5] = Row($"{p}-1", $"{p}-5", "24.50");
        var repriced = await Finished(operators, (await Submit(operators, rows)).JobId);
        Assert.Equal((1, 11), (repriced.Applied, repriced.Unchanged));
        Assert.Equal(1, await PriceHistoryRows(server.Services, $"{p}-5", $"import:{repriced.JobId}"));
        Assert.Equal(13, await PriceHistoryRows(server.Services, p + "-"));
    }

    [Fact]
    public async Task The_same_idempotency_key_and_file_are_the_same_job_and_another_file_under_it_is_refused()
    {
        var p = "imp-" + Guid.NewGuid().ToString("N")[..8];
        using var operators = await server.Operator();
        async Task<HttpResponseMessage> Post(string sku)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/catalog/imports") { Content = Csv([Row(p, sku)]) };
            request.Headers.Add("Idempotency-Key", p);
            return await operators.SendAsync(request);
        }
        var first = await (await Post(p + "-a")).Read<ImportJob>(HttpStatusCode.Accepted);
        var retry = await Post(p + "-a");
        Assert.Equal(first.JobId, (await retry.Read<ImportJob>(HttpStatusCode.Accepted)).JobId);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        await (await Post(p + "-b")).AssertProblem(HttpStatusCode.UnprocessableEntity, "Idempotency-Key", "idempotency-key-reused");
    }

    [Fact]
    public async Task A_file_with_a_bad_header_or_not_sent_as_csv_is_refused_before_any_job_and_customers_are_forbidden()
    {
        using var operators = await server.Operator();
        var misspelt = new StringContent("product_id,product_title,sku,sku_title,prize,currency\n", System.Text.Encoding.UTF8, "text/csv");
        var problem = await (await operators.PostAsync("/api/v1/catalog/imports", misspelt)).AssertProblem(HttpStatusCode.BadRequest, "prize");
        Assert.True(problem.GetProperty("errors").TryGetProperty("price", out _));
        await (await operators.PostAsync("/api/v1/catalog/imports", new StringContent("", System.Text.Encoding.UTF8, "text/csv"))).AssertProblem(HttpStatusCode.BadRequest, "body");
        await (await operators.PostAsJsonAsync("/api/v1/catalog/imports", new { rows = 1 })).AssertProblem(HttpStatusCode.UnsupportedMediaType);
        await (await operators.GetAsync("/api/v1/catalog/imports/not-a-job")).AssertProblem(HttpStatusCode.BadRequest, "jobId");
        await (await operators.GetAsync($"/api/v1/catalog/imports/{Guid.NewGuid()}")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-import");

        var job = await Submit(operators, [Row("imp-forbidden", "imp-forbidden-a")]);
        using var customer = await server.NewCustomer();
        Assert.Equal(HttpStatusCode.Forbidden, (await customer.PostAsync("/api/v1/catalog/imports", Csv([Row("imp-c", "imp-c-a")]))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await customer.GetAsync($"/api/v1/catalog/imports/{job.JobId}")).StatusCode);
        using var anonymous = server.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/catalog/imports/{job.JobId}")).StatusCode);
    }

    [Fact]
    public async Task The_cli_imports_a_file_through_the_gateway_shows_progress_and_the_bad_rows_and_fails_when_rows_were_rejected()
    {
        var p = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.Combine(Path.GetTempPath(), p + ".csv");
        await File.WriteAllTextAsync(file, await Csv([Row(p, p + "-a"), Row(p, p + "-b", "free")]).ReadAsStringAsync());
        try
        {
            var output = new StringWriter();
            var exit = await Commerce.Cli.CatalogImportCommand.Run(file, server.BaseAddress, GatewayServer.OperatorKey, output, inPlace: false, TimeSpan.FromMilliseconds(20), CancellationToken.None);

            var text = output.ToString();
            Assert.Equal(1, exit);
            Assert.Contains("[##############################] 100% 2/2 rows", text);
            Assert.Contains("Completed: 1 applied, 0 unchanged, 1 rejected of 2 rows.", text);
            Assert.Contains("line 3, price:", text);
            using var anonymous = server.Anonymous();
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/v1/catalog/products/{p}")).StatusCode);

            Assert.Equal(2, await Commerce.Cli.CatalogImportCommand.Run(file, server.BaseAddress, "wrong key", new StringWriter(), false, TimeSpan.FromMilliseconds(20), CancellationToken.None));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
