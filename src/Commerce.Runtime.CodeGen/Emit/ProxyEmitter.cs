using System.Collections.Generic;
using System.Linq;
using Commerce.Runtime.CodeGen.Analysis;
using Commerce.Runtime.CodeGen.Model;
using static Commerce.Runtime.CodeGen.Emit.GeneratedNames;

namespace Commerce.Runtime.CodeGen.Emit;

/// <summary>
/// Writes one interface's file: the proxy, a GrainReference implementing every method explicitly (so
/// that no interface method can clash with another or with GrainReference's members), and one request
/// class per method.
/// </summary>
internal static class ProxyEmitter
{
    public static string Emit(ProxyPlan plan)
    {
        var writer = new CodeWriter();
        FileHeader.Write(writer);
        // Explicit implementations repeat the interface's default values, which callers of the
        // interface use anyway; the compiler warns they have no effect.
        writer.Line("#pragma warning disable CS1066");
        writer.Line();
        writer.Line($"namespace {Namespace}").Open();
        WriteProxy(writer, plan);
        for (var index = 0; index < plan.Interface.Methods.Count; index++)
        {
            writer.Line();
            WriteRequest(writer, plan, index);
        }
        writer.Close();
        return writer.ToString();
    }

    private static void WriteProxy(CodeWriter writer, ProxyPlan plan)
    {
        writer.Line(GeneratedCodeAttribute);
        writer.Line($"internal sealed class {plan.ProxyName} : {GrainReference}, {plan.Interface.TypeName}").Open();
        writer.Line($"public {plan.ProxyName}({GrainCallSink} sink, {GrainId} grainId)");
        writer.Indent().Line(": base(sink, grainId)").Unindent();
        writer.Open().Close();
        for (var index = 0; index < plan.Interface.Methods.Count; index++)
        {
            writer.Line();
            WriteProxyMethod(writer, plan, index);
        }
        writer.Close();
    }

    private static void WriteProxyMethod(CodeWriter writer, ProxyPlan plan, int index)
    {
        var method = plan.Interface.Methods[index];
        var parameters = string.Join(", ", method.Parameters.Select(ParameterDeclaration));
        writer.Line($"{method.ReturnType} {method.DeclaringInterface}.{TypeNames.EscapeIdentifier(method.Name)}({parameters})").Open();
        var request = LocalName(method);
        writer.Line($"var {request} = new {GlobalNamespace}.{plan.RequestName(index)}{ArgumentInitializer(method)};");
        writer.Line($"Send({request});");
        writer.Line($"return {request}.{CompletionMethod(method.ReturnKind)}();");
        writer.Close();
    }

    private static string ParameterDeclaration(ParameterModel parameter)
    {
        var attributes = string.Concat(parameter.Attributes.Select(attribute => $"[{attribute}] "));
        var modifier = parameter.IsParams ? "params " : "";
        var defaultValue = parameter.DefaultValue is { } value ? " = " + value : "";
        return $"{attributes}{modifier}{parameter.Type} {TypeNames.EscapeIdentifier(parameter.Name)}{defaultValue}";
    }

    /// <summary>" { Arg0 = a, Arg1 = b }", or "()" for a method without parameters.</summary>
    private static string ArgumentInitializer(MethodModel method)
    {
        if (method.Parameters.Count == 0)
        {
            return "()";
        }
        var assignments = method.Parameters.Select((parameter, i) => $"Arg{i} = {TypeNames.EscapeIdentifier(parameter.Name)}");
        return " { " + string.Join(", ", assignments) + " }";
    }

    /// <summary>"request", unless a parameter is already called that.</summary>
    private static string LocalName(MethodModel method)
    {
        var names = new HashSet<string>(method.Parameters.Select(parameter => parameter.Name));
        var local = "request";
        while (names.Contains(local))
        {
            local += "_";
        }
        return local;
    }

    /// <summary>Request&lt;VoidResult&gt;.AsTask() is a Task&lt;VoidResult&gt;, which is a Task.</summary>
    private static string CompletionMethod(ReturnKind kind) => kind switch
    {
        ReturnKind.ValueTaskOfT => "AsValueTask",
        ReturnKind.ValueTask => "AsVoidValueTask",
        _ => "AsTask",
    };

    private static void WriteRequest(CodeWriter writer, ProxyPlan plan, int index)
    {
        var method = plan.Interface.Methods[index];
        writer.Line(GeneratedCodeAttribute);
        writer.Line($"internal sealed class {plan.RequestName(index)} : {Request}<{method.ResultType}>").Open();
        WriteDescriptor(writer, method, plan.RequestName(index), index);
        WriteArgumentFields(writer, method);
        writer.Line($"public override {GrainMethodDescriptor} Method => Descriptor;");
        writer.Line();
        writer.Line($"public override int ArgumentCount => {method.Parameters.Count};");
        writer.Line();
        WriteGetArgument(writer, method);
        writer.Line();
        WriteInvokeCore(writer, method);
        writer.Close();
    }

    private static void WriteDescriptor(CodeWriter writer, MethodModel method, string requestName, int index)
    {
        writer.Line($"public static readonly {GrainMethodDescriptor} Descriptor = new {GrainMethodDescriptor}(");
        writer.Indent();
        writer.Line($"typeof({method.DeclaringInterfaceTypeOf}),");
        writer.Line($"{TypeNames.StringLiteral(method.Name)},");
        writer.Line($"{index},");
        writer.Line($"{Flags(method)},");
        writer.Line($"{ParameterTypes(method)},");
        writer.Line($"typeof({method.ResultTypeOf}),");
        writer.Line($"{RequestFactory(method, requestName)});");
        writer.Unindent();
        writer.Line();
    }

    /// <summary>Builds the request from arguments that arrived from another process.</summary>
    private static string RequestFactory(MethodModel method, string requestName)
    {
        var assignments = method.Parameters.Select((p, i) => $"Arg{i} = ({p.Type})arguments[{i}]!");
        return $"static arguments => new {requestName} {{ {string.Join(", ", assignments)} }}";
    }

    private static void WriteArgumentFields(CodeWriter writer, MethodModel method)
    {
        if (method.Parameters.Count == 0)
        {
            return;
        }
        for (var i = 0; i < method.Parameters.Count; i++)
        {
            // The parameter's nullability attributes (AllowNull...) apply to its field as well.
            var parameter = method.Parameters[i];
            var attributes = string.Concat(parameter.Attributes.Select(attribute => $"[{attribute}] "));
            writer.Line($"{attributes}public {parameter.Type} Arg{i} = default!;");
        }
        writer.Line();
    }

    private static string Flags(MethodModel method)
    {
        var flags = new List<string>();
        if (method.IsReadOnly)
        {
            flags.Add($"{InvokeFlags}.ReadOnly");
        }
        if (method.IsAlwaysInterleave)
        {
            flags.Add($"{InvokeFlags}.AlwaysInterleave");
        }
        return flags.Count == 0 ? $"{InvokeFlags}.None" : string.Join(" | ", flags);
    }

    private static string ParameterTypes(MethodModel method) =>
        method.Parameters.Count == 0
            ? "global::System.Type.EmptyTypes"
            : "new global::System.Type[] { " + string.Join(", ", method.Parameters.Select(p => $"typeof({p.TypeOf})")) + " }";

    private static void WriteGetArgument(CodeWriter writer, MethodModel method)
    {
        const string outOfRange = "throw new global::System.ArgumentOutOfRangeException(nameof(index))";
        if (method.Parameters.Count == 0)
        {
            writer.Line($"public override object? GetArgument(int index) => {outOfRange};");
            return;
        }
        writer.Line("public override object? GetArgument(int index) => index switch").Open();
        for (var i = 0; i < method.Parameters.Count; i++)
        {
            writer.Line($"{i} => (object?)Arg{i},");
        }
        writer.Line($"_ => {outOfRange},");
        writer.Close(";");
    }

    /// <summary>
    /// "Arg0"; "Arg0!" for a [DisallowNull] parameter of nullable type: the field can only have been
    /// assigned a non-null value by the proxy, but its declared type reads as maybe-null.
    /// </summary>
    private static string Argument(ParameterModel parameter, int index) =>
        parameter.Attributes.Any(attribute => attribute.EndsWith(".DisallowNullAttribute", System.StringComparison.Ordinal))
            ? $"Arg{index}!"
            : $"Arg{index}";

    private static void WriteInvokeCore(CodeWriter writer, MethodModel method)
    {
        var arguments = string.Join(", ", method.Parameters.Select(Argument));
        var call = $"(({method.DeclaringInterface})target).{TypeNames.EscapeIdentifier(method.Name)}({arguments})";
        var result = method.ReturnKind switch
        {
            ReturnKind.TaskOfT => $"new {ValueTask}<{method.ResultType}>({call})",
            ReturnKind.ValueTaskOfT => call,
            ReturnKind.Task => $"FromTask({call})",
            _ => $"FromValueTask({call})",
        };
        writer.Line($"protected override {ValueTask}<{method.ResultType}> InvokeCore(object target) =>");
        writer.Indent().Line(result + ";").Unindent();
    }
}

/// <summary>The lines every generated file starts with.</summary>
internal static class FileHeader
{
    public static void Write(CodeWriter writer)
    {
        writer.Line("// <auto-generated/>");
        writer.Line("// Generated by Commerce.Runtime.CodeGen. Do not edit: changes are lost on the next build.");
        writer.Line("#nullable enable");
    }
}
