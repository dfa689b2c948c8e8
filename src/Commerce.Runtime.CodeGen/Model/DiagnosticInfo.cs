using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Commerce.Runtime.CodeGen.Model;

/// <summary>A diagnostic to report, kept as plain data (a <see cref="Location"/> holds its syntax tree).</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, ISymbol? at, params string[] messageArgs) =>
        new(descriptor.Id, LocationInfo.From(at), new EquatableArray<string>(messageArgs));

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(
            DiagnosticDescriptors.ById(Id),
            Location?.ToLocation(),
            messageArgs: ToObjects(MessageArgs));

    private static object[] ToObjects(EquatableArray<string> args)
    {
        var objects = new object[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            objects[i] = args[i];
        }
        return objects;
    }
}

/// <summary>Where a diagnostic points: a source span, equatable.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    /// <summary>The symbol's first source location, or null when it has none (declared in metadata).</summary>
    public static LocationInfo? From(ISymbol? symbol)
    {
        if (symbol is null)
        {
            return null;
        }
        foreach (var location in symbol.Locations)
        {
            if (location.IsInSource && location.SourceTree is { } tree)
            {
                return new LocationInfo(tree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
            }
        }
        return null;
    }

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}
