using System.Collections.Generic;
using System.Text;
using Commerce.Runtime.CodeGen.Model;

namespace Commerce.Runtime.CodeGen.Emit;

/// <summary>The names of generated types and the well-known runtime names generated code uses.</summary>
internal static class GeneratedNames
{
    public const string Namespace = "Commerce.Generated";
    public const string GlobalNamespace = "global::" + Namespace;

    public const string GrainReference = "global::Commerce.Runtime.Invocation.GrainReference";
    public const string GrainCallSink = "global::Commerce.Runtime.Invocation.IGrainCallSink";
    public const string GrainId = "global::Commerce.Runtime.GrainId";
    public const string Request = "global::Commerce.Runtime.Invocation.Request";
    public const string GrainMethodDescriptor = "global::Commerce.Runtime.Invocation.GrainMethodDescriptor";
    public const string InvokeFlags = "global::Commerce.Runtime.Invocation.InvokeFlags";
    public const string ManifestProvider = "global::Commerce.Runtime.Invocation.IGrainManifestProvider";
    public const string ManifestBuilder = "global::Commerce.Runtime.Invocation.GrainManifestBuilder";
    public const string ManifestAttribute = "global::Commerce.Runtime.Invocation.GrainManifest";
    public const string ValueTask = "global::System.Threading.Tasks.ValueTask";
    public const string GeneratedCodeAttribute =
        "[global::System.CodeDom.Compiler.GeneratedCode(\"Commerce.Runtime.CodeGen\", \"1.0.0\")]";

    /// <summary>
    /// Pairs each interface with its proxy's name, "Namespace_Outer_IName_Proxy". Names are unique: should
    /// two interfaces flatten to the same name (A.B_C and A_B.C), the later one in
    /// <paramref name="interfaces"/>' order gets a numeric suffix, "A_B_C_2_Proxy".
    /// </summary>
    public static List<ProxyPlan> AssignProxyNames(IEnumerable<InterfaceModel> interfaces)
    {
        var models = new List<InterfaceModel>(interfaces);
        var preferred = new HashSet<string>();
        foreach (var model in models)
        {
            preferred.Add(PreferredProxyName(model));
        }
        var taken = new HashSet<string>();
        var plans = new List<ProxyPlan>();
        foreach (var model in models)
        {
            var name = PreferredProxyName(model);
            if (!taken.Add(name))
            {
                // A suffixed name must not take the preferred name of an interface still to come.
                var suffix = 2;
                do
                {
                    name = $"{string.Join("_", model.NameParts)}_{suffix++}_Proxy";
                }
                while (preferred.Contains(name) || !taken.Add(name));
            }
            plans.Add(new ProxyPlan(model, name));
        }
        return plans;
    }

    /// <summary>"GrainManifest_" and the assembly name with every non-identifier character as '_'.</summary>
    public static string ManifestClassName(string assemblyName)
    {
        var builder = new StringBuilder("GrainManifest_");
        foreach (var c in assemblyName)
        {
            builder.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
        }
        return builder.ToString();
    }

    private static string PreferredProxyName(InterfaceModel model) => string.Join("_", model.NameParts) + "_Proxy";
}

/// <summary>An interface whose proxy is emitted, with the generated names.</summary>
internal sealed class ProxyPlan
{
    public ProxyPlan(InterfaceModel model, string proxyName)
    {
        Interface = model;
        ProxyName = proxyName;
    }

    public InterfaceModel Interface { get; }

    public string ProxyName { get; }

    /// <summary>"{Proxy}_{Method}_{index}": the request class of the method at <paramref name="index"/>.</summary>
    public string RequestName(int index) => $"{ProxyName}_{Interface.Methods[index].Name}_{index}";
}
