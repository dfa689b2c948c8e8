using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Commerce.Runtime.CodeGen.Analysis;

/// <summary>Renders symbols as C# for generated code.</summary>
internal static class TypeNames
{
    /// <summary>global::-qualified, with nullable reference annotations: for signatures, fields and casts.</summary>
    private static readonly SymbolDisplayFormat s_annotated = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>global::-qualified, without nullable reference annotations (typeof rejects them).</summary>
    private static readonly SymbolDisplayFormat s_typeOf = SymbolDisplayFormat.FullyQualifiedFormat;

    /// <summary>Namespace and containing types, without global::: a readable, stable sort key.</summary>
    private static readonly SymbolDisplayFormat s_sortKey = SymbolDisplayFormat.FullyQualifiedFormat
        .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

    public static string Annotated(ITypeSymbol type) => type.ToDisplayString(s_annotated);

    public static string ForTypeOf(ITypeSymbol type) => type.ToDisplayString(s_typeOf);

    public static string SortKey(ITypeSymbol type) => type.ToDisplayString(s_sortKey);

    /// <summary>Namespace segments, containing types and the type's own name, outermost first.</summary>
    public static string[] NameParts(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (ISymbol? symbol = type; symbol is INamedTypeSymbol named; symbol = named.ContainingSymbol)
        {
            parts.Add(named.Name);
        }
        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            parts.Add(ns.Name);
        }
        parts.Reverse();
        return parts.ToArray();
    }

    /// <summary>An identifier as C# source: a reserved keyword gets an @.</summary>
    public static string EscapeIdentifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>A string literal for generated code.</summary>
    public static string StringLiteral(string value) => SymbolDisplay.FormatLiteral(value, quote: true);
}
