using System.Threading;
using Commerce.Runtime.CodeGen.Model;
using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen.Analysis;

/// <summary>Builds the model of a grain class: a concrete, non-generic class deriving from Commerce.Runtime.Grain.</summary>
internal static class GrainClassModelBuilder
{
    /// <summary>The model of the declared class, or null if it is not a grain class to register.</summary>
    public static GrainClassModel? TryBuild(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.SemanticModel.GetDeclaredSymbol(context.Node, cancellationToken) is not INamedTypeSymbol type
            || type.IsAbstract
            || type.IsStatic
            || TypeShape.IsGeneric(type)
            || !KnownTypes.DerivesFromGrain(type))
        {
            return null;
        }
        var name = TypeNames.SortKey(type);
        var diagnostic = TypeShape.IsAccessibleFromAssembly(type)
            ? null
            : DiagnosticInfo.Create(DiagnosticDescriptors.InaccessibleType, type, "class", name);
        return new GrainClassModel(name, TypeNames.ForTypeOf(type), diagnostic);
    }
}
