using System.Net;
using System.Net.Http.Json;
using System.Text;
using Commerce.Grains.Inventory;

namespace Commerce.Gateway.Tests;

/// <summary>
/// Bodies that are not what an endpoint reads: wrong JSON types, undefined enum values, text
/// PostgreSQL cannot store, broken JSON, unparsable query values. Each is a 400 problem with a code
/// naming the field, and changes nothing; one caller's bad text never fails another's request.
/// </summary>
public sealed class RequestBodyTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<(HttpClient Operators, string Sku)> StockedSku(int units)
    {
        var operators = await server.Operator();
        var sku = await new Storefront(server).Sku(10m, units);
        return (operators, sku);
    }

    [Theory]
    [InlineData("""{"warehouseId":"main","quantity":"abc"}""", "quantity")]
    [InlineData("""{"warehouseId":"main","quantity":"2"}""", "quantity")]
    [InlineData("""{"warehouseId":"main","quantity":1.5}""", "quantity")]
    [InlineData("""{"warehouseId":"main","quantity":true}""", "quantity")]
    [InlineData("""{"warehouseId":"main","quantity":{}}""", "quantity")]
    [InlineData("""{"warehouseId":"main","quantity":2147483648}""", "quantity")]
    [InlineData("""{"warehouseId":7,"quantity":1}""", "warehouseId")]
    [InlineData("""{"warehouseId":"main","quantity":1,"note":"PO\u0000-7"}""", "note")]
    [InlineData("""{"warehouseId":"main","quantity":1,"note":"PO\ud800-7"}""", "note")]
    [InlineData("""{"warehouseId":"main","quantity":1,"note":"PO\udc00"}""", "note")]
    [InlineData("""{"warehouseId":"main","quantity":1,"note":"PO\ud800\ud800\udc00"}""", "note")]
    [InlineData("""{"warehouseId":"main","quantity":""", "body")]
    public async Task A_receipt_with_the_wrong_json_is_a_problem_naming_the_field_and_changes_nothing(string body, string field)
    {
        var (operators, sku) = await StockedSku(5);
        using (operators)
        {
            var response = await operators.PostAsync($"/api/v1/inventory/{sku}/receipts", Json(body));

            await response.AssertProblem(HttpStatusCode.BadRequest, field, "invalid-json");
            Assert.Equal(5, (await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>()).OnHand);
        }
    }

    [Fact]
    public async Task Escaped_text_of_whole_characters_is_read_as_sent()
    {
        var (operators, sku) = await StockedSku(1);
        using (operators)
        {
            var response = await operators.PostAsync($"/api/v1/inventory/{sku}/receipts", Json("""{"warehouseId":"main","quantity":1,"note":"box \ud83d\udce6 \\ud800 \u00e9"}"""));

            response.EnsureSuccessStatusCode();
            var ledger = await (await operators.GetAsync($"/api/v1/inventory/{sku}/ledger")).Read<LedgerPage>();
            // A surrogate pair is one character (a parcel); an escaped backslash before "ud800" is text, not a surrogate.
            Assert.Equal("box \U0001F4E6 \\ud800 \u00e9", ledger.Rows[^1].Entry.Reason);
        }
    }

    [Fact]
    public async Task A_price_without_its_amount_is_a_problem_not_a_price_of_zero()
    {
        using var operators = await server.Operator();
        var product = "p-" + Guid.NewGuid().ToString("N")[..10];
        (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", new { title = "Lamp" })).EnsureSuccessStatusCode();

        var response = await operators.PutAsync($"/api/v1/catalog/skus/sku-{product}", Json($$$"""{"productId":"{{{product}}}","title":"Lamp","price":{"currency":"EUR"}}"""));

        await response.AssertProblem(HttpStatusCode.BadRequest, "price", "invalid-json");
        Assert.Equal(0, (await (await operators.GetAsync($"/api/v1/catalog/products/{product}")).Read<System.Text.Json.JsonElement>()).GetProperty("skus").GetArrayLength());
    }

    [Fact]
    public async Task An_undefined_enum_value_is_a_problem_naming_the_field()
    {
        using var operators = await server.Operator();

        var numeric = await operators.PostAsync("/api/v1/orders/ord_nosuchorder0000000000000/transitions", Json("""{"action":42}"""));
        var unknown = await operators.PostAsync("/api/v1/orders/ord_nosuchorder0000000000000/transitions", Json("""{"action":"Teleport"}"""));

        await numeric.AssertProblem(HttpStatusCode.BadRequest, "action", "invalid-json");
        await unknown.AssertProblem(HttpStatusCode.BadRequest, "action", "invalid-json");
    }

    [Fact]
    public async Task A_query_value_that_does_not_parse_is_a_problem_naming_the_parameter()
    {
        using var operators = await server.Operator();

        var response = await operators.GetAsync("/api/v1/orders?limit=abc");

        await response.AssertProblem(HttpStatusCode.BadRequest, "limit", "invalid-request");
    }

    [Fact]
    public async Task One_receipt_with_text_postgres_cannot_store_fails_alone_among_concurrent_ones()
    {
        var (operators, sku) = await StockedSku(0 + 1);
        using (operators)
        {
            var receipts = Enumerable.Range(0, 30).Select(i => operators.PostAsync($"/api/v1/inventory/{sku}/receipts",
                Json(i == 15 ? """{"warehouseId":"main","quantity":1,"note":"bad\u0000"}""" : """{"warehouseId":"main","quantity":1,"note":"ok"}"""))).ToList();
            var answers = await Task.WhenAll(receipts);

            Assert.Equal(29, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
            await Assert.Single(answers, a => a.StatusCode != HttpStatusCode.OK).AssertProblem(HttpStatusCode.BadRequest, "note", "invalid-json");
            Assert.Equal(30, (await (await operators.GetAsync($"/api/v1/inventory/{sku}/stock")).Read<StockSnapshot>()).OnHand);
        }
    }

    [Fact]
    public async Task The_openapi_document_types_integers_as_integers_only()
    {
        using var anonymous = server.Anonymous();

        var document = await (await anonymous.GetAsync("/openapi/v1.json")).Read<System.Text.Json.JsonElement>();

        var quantity = document.GetProperty("components").GetProperty("schemas").GetProperty("ReceiveStockRequest")
            .GetProperty("properties").GetProperty("quantity");
        var types = quantity.GetProperty("type");
        var named = types.ValueKind == System.Text.Json.JsonValueKind.Array ? types.EnumerateArray().Select(t => t.GetString()).ToList() : [types.GetString()];
        Assert.Contains("integer", named);
        Assert.DoesNotContain("string", named);
    }
}
