using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen;

/// <summary>The errors the generator reports. An interface with any of them gets no proxy.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Commerce.Runtime.CodeGen";

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Error(
        "COMMRT001",
        "Grain method return type must be Task, Task<T>, ValueTask or ValueTask<T>",
        "Grain interface method '{0}.{1}' returns '{2}'; grain methods must return Task, Task<T>, ValueTask or ValueTask<T>");

    public static readonly DiagnosticDescriptor GenericMethod = Error(
        "COMMRT002",
        "Grain methods cannot be generic",
        "Grain interface method '{0}.{1}' is generic; generic grain methods are not supported");

    public static readonly DiagnosticDescriptor ByRefParameter = Error(
        "COMMRT003",
        "Grain method parameters cannot be ref, out or in",
        "Parameter '{2}' of grain interface method '{0}.{1}' is passed by reference ({3}); grain method parameters must be passed by value");

    public static readonly DiagnosticDescriptor UnsupportedMember = Error(
        "COMMRT004",
        "Grain interfaces can only declare instance methods",
        "Grain interface '{0}' declares {1} '{2}'; grain interfaces can only declare instance methods returning Task or ValueTask");

    public static readonly DiagnosticDescriptor GenericInterface = Error(
        "COMMRT005",
        "Generic grain interfaces are not supported",
        "Grain interface '{0}' is generic (or nested in a generic type); generic grain interfaces are not supported yet");

    public static readonly DiagnosticDescriptor InaccessibleType = Error(
        "COMMRT006",
        "Grain type is not accessible to generated code",
        "Grain {0} '{1}' must be public or internal (and not nested in a private or protected type, nor file-local) so that generated code can reference it");

    public static readonly DiagnosticDescriptor UnstorableParameter = Error(
        "COMMRT007",
        "Grain method parameter type cannot be stored in a request",
        "Parameter '{2}' of grain interface method '{0}.{1}' has type '{3}', which cannot be stored in a request object (ref struct or pointer)");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = Index(
        UnsupportedReturnType,
        GenericMethod,
        ByRefParameter,
        UnsupportedMember,
        GenericInterface,
        InaccessibleType,
        UnstorableParameter);

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static Dictionary<string, DiagnosticDescriptor> Index(params DiagnosticDescriptor[] descriptors)
    {
        var byId = new Dictionary<string, DiagnosticDescriptor>();
        foreach (var descriptor in descriptors)
        {
            byId.Add(descriptor.Id, descriptor);
        }
        return byId;
    }
}
