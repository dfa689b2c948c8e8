using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Commerce.Runtime.CodeGen.Model;
using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen.Analysis;

/// <summary>Builds the model of a grain interface: the methods its proxy implements, or why it cannot have one.</summary>
internal static class InterfaceModelBuilder
{
    /// <summary>The model of the declared interface, or null if it is not a grain or observer interface.</summary>
    public static InterfaceModel? TryBuild(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.SemanticModel.GetDeclaredSymbol(context.Node, cancellationToken) is not INamedTypeSymbol type
            || !KnownTypes.IsGrainInterface(type))
        {
            return null;
        }
        return Build(type, cancellationToken);
    }

    public static InterfaceModel Build(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var sink = new DiagnosticSink(fallbackLocation: type);
        CheckInterface(type, sink);
        var methods = new List<MethodModel>();
        foreach (var declaring in InterfacesInOrder(type))
        {
            cancellationToken.ThrowIfCancellationRequested();
            sink.IsReporting = ReportsMembersOf(type, declaring);
            foreach (var member in declaring.GetMembers())
            {
                if (MemberAnalyzer.Analyze(member, declaring, sink) is { } method)
                {
                    methods.Add(method);
                }
            }
        }
        return new InterfaceModel(
            SortKey: TypeNames.SortKey(type),
            TypeName: TypeNames.ForTypeOf(type),
            NameParts: new EquatableArray<string>(TypeNames.NameParts(type)),
            Methods: methods.ToEquatableArray(),
            Diagnostics: sink.Reported.ToEquatableArray(),
            HasErrors: sink.HasErrors);
    }

    private static void CheckInterface(INamedTypeSymbol type, DiagnosticSink sink)
    {
        if (TypeShape.IsGeneric(type))
        {
            sink.Error(DiagnosticDescriptors.GenericInterface, type, TypeNames.SortKey(type));
        }
        if (!TypeShape.IsAccessibleFromAssembly(type))
        {
            sink.Error(DiagnosticDescriptors.InaccessibleType, type, "interface", TypeNames.SortKey(type));
        }
    }

    /// <summary>The interface itself, then every interface it inherits, ordered by full name.</summary>
    private static IEnumerable<INamedTypeSymbol> InterfacesInOrder(INamedTypeSymbol type) =>
        new[] { type }.Concat(type.AllInterfaces.OrderBy(TypeNames.SortKey, StringComparer.Ordinal));

    /// <summary>
    /// Whether errors in <paramref name="declaring"/>'s members are reported with this interface: always for
    /// its own members, and for inherited ones unless they belong to another grain interface of this
    /// compilation, which reports them itself.
    /// </summary>
    private static bool ReportsMembersOf(INamedTypeSymbol type, INamedTypeSymbol declaring)
    {
        if (SymbolEqualityComparer.Default.Equals(type, declaring))
        {
            return true;
        }
        var definition = declaring.OriginalDefinition;
        var declaredInSource = definition.Locations.Any(location => location.IsInSource);
        return !(declaredInSource && KnownTypes.IsGrainInterface(definition));
    }
}
