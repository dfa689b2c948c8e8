using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Commerce.Grains;
using Commerce.Persistence;

namespace Commerce.Catalog.Import;

/// <summary>A bad row's fault: its physical line in the file, the column, what is wrong.</summary>
public sealed record ImportRowError(int Line, string Field, string Message);

/// <summary>The product columns of a row, as stored (JSON as text).</summary>
internal sealed record ImportedProduct(string ProductId, string Title, string Description, string? Brand, string? CategoryId, string Attributes);

/// <summary>The SKU columns of a row, as stored (JSON as text).</summary>
internal sealed record ImportedSku(string Code, string Title, string Options, decimal Price, string Currency, bool Active, string Images);

/// <summary>A row that passed every check but the ones against the database (its category must exist).</summary>
internal sealed record ImportedRow(int Line, ImportedProduct Product, ImportedSku Sku);

/// <summary>
/// Checks a file's rows one by one, in file order. It remembers what earlier rows said — the SKUs seen, each
/// product's first row — so it must see every row of a file, also those a resumed job skips over.
/// A product's columns repeat on each of its SKUs' rows: they must agree with the product's first row,
/// so that a typo on one row is reported instead of silently winning or losing.
/// </summary>
internal sealed class ImportRowValidator(IReadOnlyDictionary<string, int> columns)
{
    private const int MaxTitle = 300;
    private const int MaxDescription = 10_000;
    private const int MaxBrand = 200;
    private const decimal MaxPrice = 1_000_000_000m;

    private readonly Dictionary<string, int> _skuLines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Line, ImportedProduct Product)> _products = new(StringComparer.Ordinal);

    /// <summary>The row as it will be stored, or what is wrong with it (one error per bad field).</summary>
    public (ImportedRow? Row, List<ImportRowError> Errors) Validate(ImportFileRow row)
    {
        var errors = new List<ImportRowError>();
        if (row.Malformed is not null)
        {
            errors.Add(new(row.Line, "row", row.Malformed));
            return (null, errors);
        }
        void Fail(string field, string message) => errors.Add(new(row.Line, field, message));
        string Field(string column)
        {
            var value = columns.TryGetValue(column, out var index) ? row.Fields[index] : "";
            if (!StorableText.IsStorable(value))
            {
                Fail(column, StorableText.Refusal);
                return "";
            }
            return value;
        }

        var productId = Field("product_id");
        if (!Codes.IsValid(productId))
        {
            Fail("product_id", "A product id is " + Codes.Rule);
        }
        var productTitle = Field("product_title");
        CheckTitle(productTitle, "product_title", Fail);
        var description = Field("description");
        if (description.Length > MaxDescription)
        {
            Fail("description", $"A description has at most {MaxDescription:N0} characters.");
        }
        var brand = Field("brand");
        if (brand.Length > MaxBrand)
        {
            Fail("brand", $"A brand has at most {MaxBrand} characters.");
        }
        var categoryId = Field("category_id");
        if (categoryId.Length > 0 && !Codes.IsValid(categoryId))
        {
            Fail("category_id", "A category id is " + Codes.Rule);
        }
        var attributes = Attributes(Field("attributes"), Fail);

        var sku = Field("sku");
        if (!Codes.IsValid(sku))
        {
            Fail("sku", "A SKU is " + Codes.Rule);
        }
        else if (_skuLines.TryGetValue(sku, out var firstLine))
        {
            Fail("sku", $"The SKU '{sku}' is on line {firstLine} already: a file has one row per SKU.");
        }
        else
        {
            _skuLines[sku] = row.Line;
        }
        var skuTitle = Field("sku_title");
        CheckTitle(skuTitle, "sku_title", Fail);
        var options = Pairs(Field("options"), "options", maxPairs: 20, maxValue: 100, Fail);
        var price = Price(Field("price"), Fail);
        var currency = Field("currency");
        if (currency is not { Length: 3 } || !currency.All(char.IsAsciiLetterUpper))
        {
            Fail("currency", "The currency is an ISO 4217 code such as EUR.");
        }
        var images = Images(Field("images"), Fail);
        var active = Active(Field("active"), Fail);

        var product = new ImportedProduct(productId, productTitle, description, brand.Length == 0 ? null : brand, categoryId.Length == 0 ? null : categoryId, attributes ?? "{}");
        if (Codes.IsValid(productId))
        {
            if (_products.TryGetValue(productId, out var first))
            {
                foreach (var column in Disagreements(first.Product, product))
                {
                    Fail(column, $"The product '{productId}' has another {column} on line {first.Line}, its first row: a product's columns agree on all its rows.");
                }
            }
            else if (attributes is not null)
            {
                _products[productId] = (row.Line, product);
            }
        }
        return errors.Count > 0
            ? (null, errors)
            : (new ImportedRow(row.Line, product, new ImportedSku(sku, skuTitle, options!, price!.Value, currency, active!.Value, images!)), errors);
    }


    private static IEnumerable<string> Disagreements(ImportedProduct first, ImportedProduct other)
    {
        if (first.Title != other.Title) yield return "product_title";
        if (first.Description != other.Description) yield return "description";
        if (first.Brand != other.Brand) yield return "brand";
        if (first.CategoryId != other.CategoryId) yield return "category_id";
        if (first.Attributes != other.Attributes && !JsonNode.DeepEquals(JsonNode.Parse(first.Attributes), JsonNode.Parse(other.Attributes))) yield return "attributes";
    }

    private static void CheckTitle(string title, string field, Action<string, string> fail)
    {
        if (title.Length is 0 or > MaxTitle || string.IsNullOrWhiteSpace(title))
        {
            fail(field, $"A title has 1 to {MaxTitle} characters.");
        }
    }

    private static decimal? Price(string text, Action<string, string> fail)
    {
        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price) && price <= MaxPrice && decimal.Round(price, 4) == price)
        {
            return price;
        }
        fail("price", "The price is an amount from 0 with at most 4 decimals, written with a decimal point (12.50).");
        return null;
    }

    private static bool? Active(string text, Action<string, string> fail)
    {
        if (text.Length == 0 || text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        fail("active", "'active' is true or false (empty: true).");
        return null;
    }

    /// <summary>Attributes are a JSON object, or <c>name=value|name=value</c> (values as text).</summary>
    private static string? Attributes(string text, Action<string, string> fail)
    {
        if (!text.TrimStart().StartsWith('{'))
        {
            return Pairs(text, "attributes", maxPairs: 50, maxValue: 1_000, fail);
        }
        try
        {
            if (JsonNode.Parse(text) is JsonObject { Count: <= 50 } attributes)
            {
                var json = attributes.ToJsonString();
                StorableText.EnsureStorableJson(Encoding.UTF8.GetBytes(json), "attributes");
                return json;
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
        }
        fail("attributes", "Attributes are a JSON object of at most 50 members, or name=value pairs separated by '|'.");
        return null;
    }

    /// <summary><c>size=M|colour=black</c> as a JSON object of text values; empty text is an empty object.</summary>
    private static string? Pairs(string text, string field, int maxPairs, int maxValue, Action<string, string> fail)
    {
        var pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (text.Length > 0)
        {
            foreach (var pair in text.Split('|'))
            {
                var equals = pair.IndexOf('=');
                var name = equals > 0 ? pair[..equals].Trim() : "";
                var value = equals > 0 ? pair[(equals + 1)..].Trim() : "";
                if (name.Length is 0 or > 50 || value.Length > maxValue || !pairs.TryAdd(name, value) || pairs.Count > maxPairs)
                {
                    fail(field, $"'{field}' is name=value pairs separated by '|' (size=M|colour=black): at most {maxPairs}, each name once, 1 to 50 characters, a value at most {maxValue}.");
                    return null;
                }
            }
        }
        return JsonSerializer.Serialize(pairs);
    }

    /// <summary>Image URLs separated by '|', in display order, as <c>[{"url":"…"}]</c>.</summary>
    private static string? Images(string text, Action<string, string> fail)
    {
        var urls = text.Length == 0 ? [] : text.Split('|', StringSplitOptions.TrimEntries);
        if (urls.Length > 20 || urls.Any(url => url.Length > 2_000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            fail("images", "'images' is at most 20 http(s) URLs separated by '|'.");
            return null;
        }
        return JsonSerializer.Serialize(urls.Select(url => new Dictionary<string, string> { ["url"] = url }));
    }
}
