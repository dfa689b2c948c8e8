using System;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Commerce.Runtime.CodeGen.Analysis;

/// <summary>Renders a parameter's default value as a C# constant expression of the parameter's type.</summary>
internal static class DefaultValueFormatter
{
    /// <summary>The default value, or null when the parameter has none.</summary>
    public static string? Format(IParameterSymbol parameter)
    {
        if (!parameter.HasExplicitDefaultValue)
        {
            return null;
        }
        var type = parameter.Type;
        var value = parameter.ExplicitDefaultValue;
        if (value is null)
        {
            return FormatNull(type);
        }
        var underlying = UnwrapNullable(type);
        if (underlying.TypeKind == TypeKind.Enum)
        {
            // (E)(-1): the parentheses keep a negative value from parsing as a subtraction.
            return $"({TypeNames.ForTypeOf(underlying)})({FormatPrimitive(value)})";
        }
        return FormatPrimitive(value);
    }

    private static string FormatNull(ITypeSymbol type)
    {
        if (type.IsValueType && !IsNullableValueType(type))
        {
            return "default";
        }
        // A non-annotated reference type declared "= null" (nullable-oblivious or "= null!"): keep
        // the generated signature free of a nullability warning.
        return type.IsReferenceType && type.NullableAnnotation != NullableAnnotation.Annotated ? "null!" : "null";
    }

    private static string FormatPrimitive(object value) => value switch
    {
        string s => TypeNames.StringLiteral(s),
        char c => SymbolDisplay.FormatLiteral(c, quote: true),
        bool b => b ? "true" : "false",
        float f => FormatSingle(f),
        double d => FormatDouble(d),
        decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        ulong ul => ul.ToString(CultureInfo.InvariantCulture) + "UL",
        uint ui => ui.ToString(CultureInfo.InvariantCulture) + "U",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static string FormatSingle(float value) =>
        float.IsNaN(value) ? "global::System.Single.NaN"
        : float.IsPositiveInfinity(value) ? "global::System.Single.PositiveInfinity"
        : float.IsNegativeInfinity(value) ? "global::System.Single.NegativeInfinity"
        : value.ToString("R", CultureInfo.InvariantCulture) + "F";

    private static string FormatDouble(double value) =>
        double.IsNaN(value) ? "global::System.Double.NaN"
        : double.IsPositiveInfinity(value) ? "global::System.Double.PositiveInfinity"
        : double.IsNegativeInfinity(value) ? "global::System.Double.NegativeInfinity"
        : value.ToString("R", CultureInfo.InvariantCulture) + "D";

    private static ITypeSymbol UnwrapNullable(ITypeSymbol type) =>
        IsNullableValueType(type) ? ((INamedTypeSymbol)type).TypeArguments[0] : type;

    private static bool IsNullableValueType(ITypeSymbol type) =>
        type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;
}
