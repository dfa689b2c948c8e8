using System.Collections.Generic;
using Commerce.Runtime.CodeGen.Model;
using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen.Analysis;

/// <summary>
/// Collects the errors found while building one interface's model. Every error blocks the proxy; only
/// some are reported here, because a source grain interface reports the errors of its own members and
/// an interface inheriting it would otherwise repeat them.
/// </summary>
internal sealed class DiagnosticSink
{
    private readonly List<DiagnosticInfo> _reported = new();
    private readonly ISymbol _fallbackLocation;

    /// <param name="fallbackLocation">Where to point when the offending symbol is not in source.</param>
    public DiagnosticSink(ISymbol fallbackLocation) => _fallbackLocation = fallbackLocation;

    public bool HasErrors { get; private set; }

    /// <summary>Whether errors are currently reported, or only recorded as blocking.</summary>
    public bool IsReporting { get; set; } = true;

    public IReadOnlyList<DiagnosticInfo> Reported => _reported;

    public void Error(DiagnosticDescriptor descriptor, ISymbol at, params string[] messageArgs)
    {
        HasErrors = true;
        if (IsReporting)
        {
            var location = LocationInfo.From(at) ?? LocationInfo.From(_fallbackLocation);
            _reported.Add(new DiagnosticInfo(descriptor.Id, location, new EquatableArray<string>(messageArgs)));
        }
    }
}
