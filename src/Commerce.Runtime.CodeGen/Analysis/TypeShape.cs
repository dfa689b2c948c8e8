using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen.Analysis;

internal static class TypeShape
{
    /// <summary>True when the type or a type containing it has type parameters.</summary>
    public static bool IsGeneric(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.TypeParameters.Length > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when code elsewhere in the assembly (the generated files) can name the type.</summary>
    public static bool IsAccessibleFromAssembly(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsFileLocal)
            {
                return false;
            }
            switch (current.DeclaredAccessibility)
            {
                case Accessibility.Public:
                case Accessibility.Internal:
                case Accessibility.ProtectedOrInternal:
                    continue;
                default:
                    return false;
            }
        }
        return true;
    }
}
