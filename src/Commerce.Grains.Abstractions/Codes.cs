namespace Commerce.Grains;

/// <summary>
/// The rule every id of the shop follows (SKUs, products, categories, warehouses): printable, no spaces, at most 128
/// characters. One rule for every way an id comes in — a route, a JSON body, an imported CSV row — so that an id
/// accepted by one can be addressed by the others.
/// </summary>
public static class Codes
{
    public const string Rule = "1 to 128 printable characters without spaces.";

    public static bool IsValid(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 128 && value.All(c => c > ' ' && c < 0x7f);
}
