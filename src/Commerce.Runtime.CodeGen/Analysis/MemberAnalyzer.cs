using System.Collections.Generic;
using Commerce.Runtime.CodeGen.Model;
using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen.Analysis;

/// <summary>Checks one interface member and, for a supported method, builds its model.</summary>
internal static class MemberAnalyzer
{
    /// <summary>
    /// The method's model; null for a member the proxy does not implement (non-virtual, static, nested
    /// type) or one with errors, which are given to <paramref name="sink"/>.
    /// </summary>
    public static MethodModel? Analyze(ISymbol member, INamedTypeSymbol declaring, DiagnosticSink sink)
    {
        if (!MustBeImplemented(member))
        {
            return null;
        }
        switch (member)
        {
            case IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false } method:
                return AnalyzeMethod(method, declaring, sink);
            case IMethodSymbol { MethodKind: MethodKind.Ordinary }:
                ReportUnsupported(member, declaring, "static abstract method", sink);
                return null;
            case IPropertySymbol property:
                ReportUnsupported(member, declaring, Describe(property), sink);
                return null;
            case IEventSymbol:
                ReportUnsupported(member, declaring, member.IsStatic ? "static abstract event" : "event", sink);
                return null;
            default:
                // Accessors and operators: reported through their property, event or as static abstract.
                if (member is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator or MethodKind.Conversion })
                {
                    ReportUnsupported(member, declaring, "static abstract operator", sink);
                }
                return null;
        }
    }

    /// <summary>
    /// Instance members that are abstract or virtual (default interface members, which the proxy forwards
    /// too), and static abstract members, which no proxy can provide. Private, sealed and static members
    /// with a body need nothing.
    /// </summary>
    private static bool MustBeImplemented(ISymbol member) =>
        member.IsStatic ? member.IsAbstract : member.IsAbstract || member.IsVirtual;

    private static string Describe(IPropertySymbol property)
    {
        var kind = property.IsIndexer ? "indexer" : "property";
        return property.IsStatic ? "static abstract " + kind : kind;
    }

    private static void ReportUnsupported(ISymbol member, INamedTypeSymbol declaring, string kind, DiagnosticSink sink) =>
        sink.Error(DiagnosticDescriptors.UnsupportedMember, member, TypeNames.SortKey(declaring), kind, member.Name);

    private static MethodModel? AnalyzeMethod(IMethodSymbol method, INamedTypeSymbol declaring, DiagnosticSink sink)
    {
        var interfaceName = TypeNames.SortKey(declaring);
        var isValid = true;
        if (method.IsGenericMethod)
        {
            sink.Error(DiagnosticDescriptors.GenericMethod, method, interfaceName, method.Name);
            isValid = false;
        }
        var shape = KnownTypes.GetReturnShape(method.ReturnType);
        if (shape is null)
        {
            sink.Error(DiagnosticDescriptors.UnsupportedReturnType, method, interfaceName, method.Name, method.ReturnType.ToDisplayString());
            isValid = false;
        }
        foreach (var parameter in method.Parameters)
        {
            isValid &= CheckParameter(parameter, method, interfaceName, sink);
        }
        return isValid && shape is { } validShape ? BuildMethod(method, declaring, validShape) : null;
    }

    private static bool CheckParameter(IParameterSymbol parameter, IMethodSymbol method, string interfaceName, DiagnosticSink sink)
    {
        if (parameter.RefKind != RefKind.None)
        {
            sink.Error(DiagnosticDescriptors.ByRefParameter, parameter, interfaceName, method.Name, parameter.Name, Describe(parameter.RefKind));
            return false;
        }
        if (parameter.Type.IsRefLikeType || parameter.Type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer)
        {
            sink.Error(DiagnosticDescriptors.UnstorableParameter, parameter, interfaceName, method.Name, parameter.Name, parameter.Type.ToDisplayString());
            return false;
        }
        return true;
    }

    private static string Describe(RefKind refKind) => refKind switch
    {
        RefKind.Ref => "ref",
        RefKind.Out => "out",
        RefKind.In => "in",
        _ => "ref readonly",
    };

    private static MethodModel BuildMethod(IMethodSymbol method, INamedTypeSymbol declaring, ReturnShape shape)
    {
        var (resultType, resultTypeOf) = shape.ResultType is { } result
            ? (TypeNames.Annotated(result), TypeNames.ForTypeOf(result))
            : (VoidResultType, VoidResultType);
        return new MethodModel(
            Name: method.Name,
            DeclaringInterface: TypeNames.Annotated(declaring),
            DeclaringInterfaceTypeOf: TypeNames.ForTypeOf(declaring),
            ReturnKind: shape.Kind,
            ReturnType: TypeNames.Annotated(method.ReturnType),
            ResultType: resultType,
            ResultTypeOf: resultTypeOf,
            IsReadOnly: HasAttribute(method, KnownTypes.IsReadOnlyAttribute),
            IsAlwaysInterleave: HasAttribute(method, KnownTypes.IsAlwaysInterleaveAttribute),
            Parameters: BuildParameters(method));
    }

    private const string VoidResultType = "global::Commerce.Runtime.Invocation.VoidResult";

    private static EquatableArray<ParameterModel> BuildParameters(IMethodSymbol method)
    {
        var parameters = new List<ParameterModel>();
        foreach (var parameter in method.Parameters)
        {
            parameters.Add(new ParameterModel(
                Name: parameter.Name,
                Type: TypeNames.Annotated(parameter.Type),
                TypeOf: TypeNames.ForTypeOf(parameter.Type),
                IsParams: parameter.IsParams,
                DefaultValue: DefaultValueFormatter.Format(parameter),
                Attributes: NullabilityAttributes(parameter)));
        }
        return parameters.ToEquatableArray();
    }

    private static EquatableArray<string> NullabilityAttributes(IParameterSymbol parameter)
    {
        var attributes = new List<string>();
        foreach (var attribute in parameter.GetAttributes())
        {
            if (KnownTypes.IsNullabilityAttribute(attribute.AttributeClass) && attribute.ConstructorArguments.Length == 0)
            {
                attributes.Add(TypeNames.ForTypeOf(attribute.AttributeClass!));
            }
        }
        return attributes.ToEquatableArray();
    }

    private static bool HasAttribute(IMethodSymbol method, System.Func<INamedTypeSymbol?, bool> isAttribute)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (isAttribute(attribute.AttributeClass))
            {
                return true;
            }
        }
        return false;
    }
}
