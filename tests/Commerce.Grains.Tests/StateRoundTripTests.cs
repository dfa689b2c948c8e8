using System.Collections;
using System.Reflection;
using System.Text.Json;
using Commerce.Grains.Carts;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Grains.Payments;
using Commerce.Persistence;

namespace Commerce.Grains.Tests;

/// <summary>
/// System.Text.Json stores public, settable properties only: a state member it cannot write or read
/// back would be lost at the next activation. Every state type (and every journal row) is filled with
/// a non-default value in every property, down its whole graph, and must come back unchanged.
/// </summary>
public sealed class StateRoundTripTests
{
    public static TheoryData<Type> StateTypes() =>
    [
        typeof(SkuInventoryState), typeof(LedgerEntry),
        typeof(FlashSaleState), typeof(QueueJoin), typeof(FlashSaleCatalogState),
        typeof(CartState), typeof(OrderState), typeof(OrderPlaced), typeof(PaymentState),
    ];

    [Theory]
    [MemberData(nameof(StateTypes))]
    public void Every_member_of_a_state_document_survives_the_round_trip(Type type)
    {
        var original = Sample(type, depth: 0);
        var json = JsonSerializer.Serialize(original, type, StateJson.Options);

        var restored = JsonSerializer.Deserialize(json, type, StateJson.Options);

        Assert.Equal(json, JsonSerializer.Serialize(restored, type, StateJson.Options));
        using var document = JsonDocument.Parse(json);
        foreach (var property in Stored(type))
        {
            Assert.True(document.RootElement.TryGetProperty(JsonNamingPolicy.CamelCase.ConvertName(property.Name), out _),
                $"{type.Name}.{property.Name} is not written to the state document.");
        }
    }

    private static IEnumerable<PropertyInfo> Stored(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is not null &&
            // Computed members (Available, Succeeded) are derived from the stored ones.
            (p.SetMethod is not null || IsPrimaryConstructorParameter(type, p)));

    private static bool IsPrimaryConstructorParameter(Type type, PropertyInfo property) =>
        type.GetConstructors().Any(c => c.GetParameters().Any(p => p.Name == property.Name));

    /// <summary>A value of <paramref name="type"/> with nothing left at its default.</summary>
    private static object Sample(Type type, int depth)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Sample(underlying, depth);
        }
        if (type == typeof(string)) return "text-" + depth;
        if (type == typeof(int)) return 7 + depth;
        if (type == typeof(long)) return 70L + depth;
        if (type == typeof(decimal)) return 12.34m;
        if (type == typeof(double)) return 1.5;
        if (type == typeof(bool)) return true;
        if (type == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 11, 30, 12, 34, 56, TimeSpan.Zero);
        if (type == typeof(TimeSpan)) return TimeSpan.FromMinutes(5);
        if (type.IsEnum) return Enum.GetValues(type).GetValue(Enum.GetValues(type).Length - 1)!;
        if (depth > 6)
        {
            throw new InvalidOperationException($"{type} nests too deep for the sample.");
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition &&
            (definition == typeof(Dictionary<,>) || definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>)))
        {
            var arguments = type.GetGenericArguments();
            var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(arguments))!;
            dictionary.Add(Sample(arguments[0], depth + 1), Sample(arguments[1], depth + 1));
            return dictionary;
        }
        if (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var element = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            list.Add(Sample(element, depth + 1));
            return list;
        }
        if (type.GetConstructor(Type.EmptyTypes) is { } parameterless)
        {
            var value = parameterless.Invoke(null);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null))
            {
                property.SetValue(value, Sample(property.PropertyType, depth + 1));
            }
            return value;
        }
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        return constructor.Invoke([.. constructor.GetParameters().Select(p => Sample(p.ParameterType, depth + 1))]);
    }
}
