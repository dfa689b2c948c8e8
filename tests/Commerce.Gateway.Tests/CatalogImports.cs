using System.Net;
using System.Text;
using Commerce.Catalog.Import;
using Commerce.Gateway.Catalog;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Gateway.Tests;

/// <summary>Import files and jobs over HTTP, for the import tests.</summary>
internal static class CatalogImports
{
    public const string Header = "product_id,product_title,description,brand,category_id,attributes,sku,sku_title,options,price,currency,images,active";

    public static StringContent Csv(IEnumerable<string> rows) =>
        new(string.Join("\n", rows.Prepend(Header)) + "\n", Encoding.UTF8, CatalogImportApi.CsvMediaType);

    /// <summary>A good row of product <paramref name="product"/> with SKU <paramref name="sku"/>.</summary>
    public static string Row(string product, string sku, string price = "19.99", string category = "") =>
        $"{product},Shirt {product},Soft cotton,Acme,{category},material=cotton,{sku},Shirt {sku},size=M|colour=black,{price},EUR,https://img.example.com/{sku}.jpg,true";

    public static async Task<ImportJob> Submit(HttpClient operators, IEnumerable<string> rows)
    {
        var response = await operators.PostAsync("/api/v1/catalog/imports", Csv(rows));
        var job = await response.Read<ImportJob>(HttpStatusCode.Accepted);
        Assert.Equal($"/api/v1/catalog/imports/{job.JobId}", response.Headers.Location?.OriginalString);
        return job;
    }

    public static async Task<ImportJob> Get(HttpClient operators, Guid jobId, int errorsAfterLine = 0) =>
        await (await operators.GetAsync($"/api/v1/catalog/imports/{jobId}?errorsAfterLine={errorsAfterLine}")).Read<ImportJob>();

    public static Task<ImportJob> Finished(HttpClient operators, Guid jobId) =>
        Eventually.Value(() => Get(operators, jobId), job => job.State is ImportJobState.Completed or ImportJobState.Failed, $"import {jobId} to finish");

    public static async Task<long> PriceHistoryRows(IServiceProvider services, string skuPrefix, string? changedBy = null)
    {
        await using var command = services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "SELECT count(*) FROM catalog_price_history WHERE sku LIKE $1 || '%' AND ($2::text IS NULL OR changed_by = $2)");
        command.Parameters.Add(new() { Value = skuPrefix });
        command.Parameters.Add(new() { Value = (object?)changedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
