using System.Collections.Generic;
using System.Linq;
using Commerce.Runtime.CodeGen.Model;
using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen.Emit;

/// <summary>The emit step: reports the model's diagnostics and adds one file per proxy plus the manifest.</summary>
internal static class SourceEmitter
{
    public static void Emit(SourceProductionContext context, GenerationModel model)
    {
        ReportDiagnostics(context, model);
        var proxies = GeneratedNames.AssignProxyNames(model.Interfaces.Where(i => !i.HasErrors));
        var grainClasses = model.GrainClasses.Where(c => c.Diagnostic is null).ToList();
        foreach (var proxy in proxies)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            context.AddSource($"{proxy.ProxyName}.g.cs", ProxyEmitter.Emit(proxy));
        }
        if (proxies.Count > 0 || grainClasses.Count > 0)
        {
            var className = GeneratedNames.ManifestClassName(model.AssemblyName);
            context.AddSource($"{className}.g.cs", ManifestEmitter.Emit(className, proxies, grainClasses));
        }
    }

    /// <summary>Each distinct diagnostic once: interfaces sharing a bad non-grain base would repeat it.</summary>
    private static void ReportDiagnostics(SourceProductionContext context, GenerationModel model)
    {
        var seen = new HashSet<DiagnosticInfo>();
        var all = model.Interfaces.SelectMany(i => i.Diagnostics)
            .Concat(model.GrainClasses.Select(c => c.Diagnostic).OfType<DiagnosticInfo>());
        foreach (var diagnostic in all)
        {
            if (seen.Add(diagnostic))
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        }
    }
}
