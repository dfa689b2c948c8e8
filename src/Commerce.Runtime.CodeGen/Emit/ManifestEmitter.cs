using System.Collections.Generic;
using Commerce.Runtime.CodeGen.Model;
using static Commerce.Runtime.CodeGen.Emit.GeneratedNames;

namespace Commerce.Runtime.CodeGen.Emit;

/// <summary>
/// Writes the assembly's manifest: a provider registering each proxy with its factory and method
/// descriptors and each grain class, and the assembly attribute through which the runtime finds it.
/// </summary>
internal static class ManifestEmitter
{
    public static string Emit(string className, IReadOnlyList<ProxyPlan> proxies, IReadOnlyList<GrainClassModel> grainClasses)
    {
        var writer = new CodeWriter();
        FileHeader.Write(writer);
        writer.Line();
        writer.Line($"[assembly: {ManifestAttribute}(typeof({GlobalNamespace}.{className}))]");
        writer.Line();
        writer.Line($"namespace {Namespace}").Open();
        writer.Line(GeneratedCodeAttribute);
        writer.Line($"internal sealed class {className} : {ManifestProvider}").Open();
        writer.Line($"public void Populate({ManifestBuilder} builder)").Open();
        foreach (var proxy in proxies)
        {
            WriteInterface(writer, proxy);
        }
        foreach (var grainClass in grainClasses)
        {
            writer.Line($"builder.AddGrainClass(typeof({grainClass.TypeName}));");
        }
        writer.Close();
        writer.Close();
        writer.Close();
        return writer.ToString();
    }

    private static void WriteInterface(CodeWriter writer, ProxyPlan proxy)
    {
        writer.Line("builder.AddInterface(");
        writer.Indent();
        writer.Line($"typeof({proxy.Interface.TypeName}),");
        writer.Line($"static (sink, grainId) => new {GlobalNamespace}.{proxy.ProxyName}(sink, grainId),");
        writer.Line($"new {GrainMethodDescriptor}[]");
        writer.Open();
        for (var index = 0; index < proxy.Interface.Methods.Count; index++)
        {
            writer.Line($"{GlobalNamespace}.{proxy.RequestName(index)}.Descriptor,");
        }
        writer.Close(");");
        writer.Unindent();
    }
}
