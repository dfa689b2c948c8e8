using Orleans;

namespace Commerce.Grains;

/// <summary>An amount of money in one currency (ISO 4217 code, e.g. "EUR"). Never a double.</summary>
[GenerateSerializer, Immutable, Alias("Commerce.Money")]
public sealed record Money([property: Id(0)] decimal Amount, [property: Id(1)] string Currency)
{
    public Money Times(int quantity) => this with { Amount = Amount * quantity };

    public override string ToString() => $"{Amount:0.00} {Currency}";
}
