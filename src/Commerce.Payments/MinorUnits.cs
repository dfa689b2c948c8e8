using Commerce.Grains;

namespace Commerce.Payments;

/// <summary>
/// Money in a currency's smallest unit, as card processors count it: cents for EUR (12.34 → 1234),
/// yen for JPY (1234 → 1234), fils for KWD (1.234 → 1234). Decimal all the way: an amount that does
/// not fit the currency's units is refused, never rounded, and nothing passes through a double.
/// </summary>
public static class MinorUnits
{
    /// <summary>Currencies without minor units, as Stripe lists them.</summary>
    private static readonly HashSet<string> ZeroDecimal = new(StringComparer.OrdinalIgnoreCase)
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    };

    /// <summary>Currencies with three decimals.</summary>
    private static readonly HashSet<string> ThreeDecimal = new(StringComparer.OrdinalIgnoreCase) { "BHD", "JOD", "KWD", "OMR", "TND" };

    /// <summary>How many decimals the currency's smallest unit has.</summary>
    public static int Exponent(string currency) => ZeroDecimal.Contains(currency) ? 0 : ThreeDecimal.Contains(currency) ? 3 : 2;

    public static long ToMinor(Money money)
    {
        ArgumentNullException.ThrowIfNull(money);
        var minor = money.Amount * Factor(money.Currency);
        if (minor != decimal.Truncate(minor))
        {
            throw new ArgumentException($"{money.Amount} {money.Currency} is not a whole number of the currency's smallest unit ({Exponent(money.Currency)} decimals).", nameof(money));
        }
        return decimal.ToInt64(minor);
    }

    public static decimal FromMinor(long minor, string currency) => minor / Factor(currency);

    private static decimal Factor(string currency) => Exponent(currency) switch { 0 => 1m, 3 => 1000m, _ => 100m };
}
