using System;
using System.Collections.Immutable;
using System.Linq;
using Commerce.Runtime.CodeGen.Analysis;
using Commerce.Runtime.CodeGen.Emit;
using Commerce.Runtime.CodeGen.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Commerce.Runtime.CodeGen;

/// <summary>
/// Generates, for the grain and observer interfaces declared in a compilation, a proxy deriving from
/// GrainReference and a request class per method; and an assembly manifest listing those proxies and
/// the compilation's grain classes, found by the runtime through [assembly: GrainManifest].
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GrainCodeGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var interfaces = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => node is InterfaceDeclarationSyntax { BaseList: not null },
                static (syntax, cancellationToken) => InterfaceModelBuilder.TryBuild(syntax, cancellationToken))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.Interfaces);

        var grainClasses = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => node is ClassDeclarationSyntax { BaseList: not null },
                static (syntax, cancellationToken) => GrainClassModelBuilder.TryBuild(syntax, cancellationToken))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.GrainClasses);

        var assemblyName = context.CompilationProvider
            .Select(static (compilation, _) => compilation.AssemblyName ?? "Assembly");

        var model = interfaces.Collect()
            .Combine(grainClasses.Collect())
            .Combine(assemblyName)
            .Select(static (input, _) => CreateModel(input.Right, input.Left.Left, input.Left.Right))
            .WithTrackingName(TrackingNames.Model);

        context.RegisterSourceOutput(model, SourceEmitter.Emit);
    }

    /// <summary>
    /// Orders and de-duplicates (a partial type yields one model per declaration) so that the output does
    /// not depend on the order of syntax trees.
    /// </summary>
    private static GenerationModel CreateModel(
        string assemblyName,
        ImmutableArray<InterfaceModel> interfaces,
        ImmutableArray<GrainClassModel> grainClasses) =>
        new(
            assemblyName,
            DistinctOrdered(interfaces, static i => i.SortKey),
            DistinctOrdered(grainClasses, static c => c.SortKey));

    private static EquatableArray<T> DistinctOrdered<T>(ImmutableArray<T> items, Func<T, string> key)
        where T : IEquatable<T> =>
        items.GroupBy(key, StringComparer.Ordinal)
            .Select(group => group.First())
            .OrderBy(key, StringComparer.Ordinal)
            .ToEquatableArray();
}

/// <summary>Names of the pipeline steps, for tests of incremental caching.</summary>
public static class TrackingNames
{
    public const string Interfaces = nameof(Interfaces);
    public const string GrainClasses = nameof(GrainClasses);
    public const string Model = nameof(Model);
}
