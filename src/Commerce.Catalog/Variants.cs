namespace Commerce.Catalog;

/// <summary>A product's variant SKUs as a plan makes them: one per combination of its option values.</summary>
internal static class Variants
{
    public static (IReadOnlyList<SkuDraft> Skus, CatalogRefusal? Refusal) Plan(Product product, VariantPlan plan)
    {
        if (product.VariantOptions.Count == 0)
        {
            return Refused("no-variant-options", "variantOptions", $"Product '{product.ProductId}' has no variant options to build SKUs from: set them with PUT first.");
        }
        for (var i = 0; i < plan.Overrides.Count; i++)
        {
            foreach (var (name, value) in plan.Overrides[i].Options)
            {
                if (!product.VariantOptions.TryGetValue(name, out var values) || !values.Contains(value, StringComparer.Ordinal))
                {
                    return Refused("unknown-variant-option", $"overrides[{i}].options", $"'{name}' = '{value}' is not one of the product's variant options.");
                }
            }
        }
        var skus = new List<SkuDraft>();
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var combination in Combinations(product.VariantOptions))
        {
            var values = combination.Select(option => option.Value).ToList();
            var code = plan.SkuPrefix + "-" + string.Join('-', values.Select(v => v.Replace(' ', '-')));
            if (code.Length > 128 || !code.All(c => c > ' ' && c < 0x7f) || !codes.Add(code))
            {
                return Refused("invalid-sku-code", "skuPrefix",
                    $"The SKU code '{code}' is not 1 to 128 printable ASCII characters or is built twice: use a shorter prefix or ASCII option values that stay apart.");
            }
            var matching = plan.Overrides.Where(o => o.Options.All(pair => combination.Any(c => c.Key == pair.Key && c.Value == pair.Value))).ToList();
            var price = matching.LastOrDefault(o => o.Price is not null)?.Price ?? plan.Price;
            var images = matching.LastOrDefault(o => o.Images is not null)?.Images ?? plan.Images;
            skus.Add(new SkuDraft(code, product.ProductId, product.Title + ", " + string.Join(", ", values),
                combination.ToDictionary(StringComparer.Ordinal), price, Active: true, PurchaseLimit: null, images));
        }
        return (skus, null);
    }

    /// <summary>Every combination of one value per option, options in ordinal name order (stored JSONB keeps no order of its own).</summary>
    private static IEnumerable<List<KeyValuePair<string, string>>> Combinations(IReadOnlyDictionary<string, IReadOnlyList<string>> options)
    {
        IEnumerable<List<KeyValuePair<string, string>>> combinations = [[]];
        foreach (var (name, values) in options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            combinations = combinations.SelectMany(partial => values.Select(value => new List<KeyValuePair<string, string>>(partial) { new(name, value) })).ToList();
        }
        return combinations;
    }

    private static (IReadOnlyList<SkuDraft>, CatalogRefusal?) Refused(string code, string field, string message) =>
        ([], new CatalogRefusal(CatalogRefusalKind.Unprocessable, code, field, message));
}
