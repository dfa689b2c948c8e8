using System.Text.Json;
using Commerce.Persistence;

namespace Commerce.Catalog;

/// <summary>A product's attribute values and variant options against its category's typed attribute definitions.</summary>
public static class ProductAttributes
{
    public const int MaxTextLength = 500;

    /// <summary>
    /// What is wrong, field by field (<c>attributes.size</c>): an attribute the category does not define, a value of the wrong JSON
    /// type, an option value the definition does not allow; a variant option the category defines as an option, with a value it does not allow.
    /// </summary>
    public static IEnumerable<(string Field, string Message)> Problems(
        IReadOnlyList<AttributeDefinition> definitions, IReadOnlyDictionary<string, JsonElement> attributes, IReadOnlyDictionary<string, IReadOnlyList<string>> variantOptions)
    {
        var byName = definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);
        foreach (var (name, value) in attributes)
        {
            var field = "attributes." + name;
            if (!byName.TryGetValue(name, out var definition))
            {
                yield return (field, byName.Count == 0
                    ? $"The category defines no attributes, so not '{name}'."
                    : $"The category defines no attribute '{name}' (it defines: {string.Join(", ", byName.Keys.Order(StringComparer.Ordinal))}).");
                continue;
            }
            var problem = definition.Type switch
            {
                AttributeType.Number => value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out _) ? null : $"'{name}' is a number.",
                AttributeType.Text => value.ValueKind == JsonValueKind.String && IsText(value) ? null : $"'{name}' is text of at most {MaxTextLength} characters.",
                _ => value.ValueKind == JsonValueKind.String && definition.Values!.Any(allowed => value.ValueEquals(allowed))
                    ? null
                    : $"'{name}' is one of: {string.Join(", ", definition.Values!)}.",
            };
            if (problem is not null)
            {
                yield return (field, problem);
            }
        }
        foreach (var (name, values) in variantOptions)
        {
            if (byName.GetValueOrDefault(name) is { Type: AttributeType.Option, Values: { } allowed } && values.FirstOrDefault(v => !allowed.Contains(v, StringComparer.Ordinal)) is { } unknown)
            {
                yield return ("variantOptions." + name, $"'{unknown}' is not a {name} the category allows ({string.Join(", ", allowed)}).");
            }
        }
    }

    /// <summary>
    /// False for a string PostgreSQL cannot store: one holding NUL, or a lone surrogate escape (<c>\ud800</c>), which is no text at all.
    /// Other kinds of value are checked against their definitions.
    /// </summary>
    public static bool IsStorable(JsonElement value) => value.ValueKind != JsonValueKind.String || TextOf(value) is { } text && StorableText.IsStorable(text);

    private static bool IsText(JsonElement value) => TextOf(value) is { Length: <= MaxTextLength } text && StorableText.IsStorable(text);

    private static string? TextOf(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
