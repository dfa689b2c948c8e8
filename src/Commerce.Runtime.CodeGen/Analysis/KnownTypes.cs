using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen.Analysis;

/// <summary>
/// Recognizes the runtime's types by namespace and name. The abstractions are a referenced assembly and
/// Commerce.Runtime.Grain lives in another one, so matching by name works whichever assembly declares them.
/// </summary>
internal static class KnownTypes
{
    private static readonly string[] s_runtimeNamespace = { "Commerce", "Runtime" };
    private static readonly string[] s_tasksNamespace = { "System", "Threading", "Tasks" };
    private static readonly string[] s_codeAnalysisNamespace = { "System", "Diagnostics", "CodeAnalysis" };

    /// <summary>The runtime's own interfaces: no proxy is generated for them.</summary>
    private static readonly string[] s_markerInterfaces =
    {
        "IAddressable", "IGrain", "IGrainWithStringKey", "IGrainWithGuidKey", "IGrainWithIntegerKey", "IGrainObserver", "IRemindable",
    };

    /// <summary>The nullability attributes a parameter's implementation must repeat to match the interface.</summary>
    private static readonly string[] s_nullabilityAttributes =
    {
        "AllowNullAttribute", "DisallowNullAttribute", "MaybeNullAttribute", "NotNullAttribute",
    };

    /// <summary>An interface that inherits IGrain or IGrainObserver, other than the runtime's marker interfaces.</summary>
    public static bool IsGrainInterface(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Interface || IsMarkerInterface(type))
        {
            return false;
        }
        foreach (var inherited in type.AllInterfaces)
        {
            if (IsRuntimeType(inherited, "IGrain") || IsRuntimeType(inherited, "IGrainObserver"))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A class deriving, directly or not, from Commerce.Runtime.Grain.</summary>
    public static bool DerivesFromGrain(INamedTypeSymbol type)
    {
        for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (IsRuntimeType(baseType, "Grain"))
            {
                return true;
            }
        }
        return false;
    }

    public static bool IsReadOnlyAttribute(INamedTypeSymbol? attribute) => IsRuntimeType(attribute, "ReadOnlyAttribute");

    public static bool IsAlwaysInterleaveAttribute(INamedTypeSymbol? attribute) => IsRuntimeType(attribute, "AlwaysInterleaveAttribute");

    public static bool IsNullabilityAttribute(INamedTypeSymbol? attribute)
    {
        foreach (var name in s_nullabilityAttributes)
        {
            if (Is(attribute, s_codeAnalysisNamespace, name, arity: 0))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Classifies a return type; null when it is not one a grain method may have.</summary>
    public static ReturnShape? GetReturnShape(ITypeSymbol type)
    {
        if (Is(type, s_tasksNamespace, "Task", arity: 0))
        {
            return new ReturnShape(Model.ReturnKind.Task, null);
        }
        if (Is(type, s_tasksNamespace, "ValueTask", arity: 0))
        {
            return new ReturnShape(Model.ReturnKind.ValueTask, null);
        }
        if (type is INamedTypeSymbol named && named.Arity == 1)
        {
            if (Is(type, s_tasksNamespace, "Task", arity: 1))
            {
                return new ReturnShape(Model.ReturnKind.TaskOfT, named.TypeArguments[0]);
            }
            if (Is(type, s_tasksNamespace, "ValueTask", arity: 1))
            {
                return new ReturnShape(Model.ReturnKind.ValueTaskOfT, named.TypeArguments[0]);
            }
        }
        return null;
    }

    private static bool IsMarkerInterface(INamedTypeSymbol type)
    {
        foreach (var name in s_markerInterfaces)
        {
            if (IsRuntimeType(type, name))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsRuntimeType(ITypeSymbol? type, string name) => Is(type, s_runtimeNamespace, name, arity: 0);

    /// <summary>A top-level type with this namespace, name and arity.</summary>
    private static bool Is(ITypeSymbol? type, string[] namespaceParts, string name, int arity) =>
        type is INamedTypeSymbol named
        && named.Name == name
        && named.Arity == arity
        && named.ContainingType is null
        && IsNamespace(named.ContainingNamespace, namespaceParts);

    private static bool IsNamespace(INamespaceSymbol? ns, string[] parts)
    {
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            if (ns is null || ns.IsGlobalNamespace || ns.Name != parts[i])
            {
                return false;
            }
            ns = ns.ContainingNamespace;
        }
        return ns is { IsGlobalNamespace: true };
    }
}

/// <summary>A supported return type: its kind, and the awaited type for the generic kinds.</summary>
internal readonly struct ReturnShape
{
    public ReturnShape(Model.ReturnKind kind, ITypeSymbol? resultType)
    {
        Kind = kind;
        ResultType = resultType;
    }

    public Model.ReturnKind Kind { get; }

    public ITypeSymbol? ResultType { get; }
}
