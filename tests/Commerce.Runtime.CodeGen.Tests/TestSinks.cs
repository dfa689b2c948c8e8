using System.Reflection;
using System.Runtime.ExceptionServices;
using Commerce.Runtime.Invocation;

namespace Commerce.Runtime.CodeGen.Tests;

/// <summary>Records the requests a proxy sends, leaving them for the test to complete.</summary>
internal class RecordingSink : IGrainCallSink
{
    public List<(GrainReference Target, Request Request)> Sent { get; } = [];

    public virtual void Send(GrainReference target, Request request) => Sent.Add((target, request));
}

/// <summary>
/// Delivers each request to a local implementation, as the runtime's dispatcher would: invokes the
/// generated InvokeCore on the target and completes the request with the public TryComplete / TryFail
/// (the runtime's Request.Start is internal to the abstractions).
/// </summary>
internal sealed class LoopbackSink(object implementation) : RecordingSink
{
    private static readonly MethodInfo s_deliver =
        typeof(LoopbackSink).GetMethod(nameof(DeliverAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    public override void Send(GrainReference target, Request request)
    {
        base.Send(target, request);
        // The descriptor's result type must be the request's TResult, or this cast fails.
        _ = (Task)s_deliver.MakeGenericMethod(request.Method.ResultType).Invoke(null, [request, implementation])!;
    }

    private static async Task DeliverAsync<TResult>(Request<TResult> request, object implementation)
    {
        try
        {
            request.TryComplete(await InvokeCore(request, implementation));
        }
        catch (Exception e)
        {
            request.TryFail(e);
        }
    }

    /// <summary>Calls the protected, generated InvokeCore (virtual dispatch through the base's method).</summary>
    private static ValueTask<TResult> InvokeCore<TResult>(Request<TResult> request, object implementation)
    {
        var invokeCore = typeof(Request<TResult>).GetMethod("InvokeCore", BindingFlags.Instance | BindingFlags.NonPublic)!;
        try
        {
            return (ValueTask<TResult>)invokeCore.Invoke(request, [implementation])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}

/// <summary>What a loaded assembly's generated manifest registers.</summary>
internal sealed class LoadedManifest
{
    private LoadedManifest(
        Type providerType,
        List<(Type Interface, GrainProxyFactory Factory, GrainMethodDescriptor[] Methods)> interfaces,
        List<Type> grainClasses)
    {
        ProviderType = providerType;
        Interfaces = interfaces.ToDictionary(entry => entry.Interface, entry => (entry.Factory, entry.Methods));
        InterfaceOrder = interfaces.Select(entry => entry.Interface).ToList();
        GrainClasses = grainClasses;
    }

    public Type ProviderType { get; }

    public IReadOnlyDictionary<Type, (GrainProxyFactory Factory, GrainMethodDescriptor[] Methods)> Interfaces { get; }

    public IReadOnlyList<Type> InterfaceOrder { get; }

    public IReadOnlyList<Type> GrainClasses { get; }

    /// <summary>Finds the provider through [assembly: GrainManifest] and populates a builder, as the runtime will.</summary>
    public static LoadedManifest From(Assembly assembly)
    {
        var attribute = Assert.Single(assembly.GetCustomAttributes<GrainManifestAttribute>());
        var provider = Assert.IsAssignableFrom<IGrainManifestProvider>(Activator.CreateInstance(attribute.ProviderType));
        var builder = new GrainManifestBuilder();
        provider.Populate(builder);
        // The builder's lists are internal to the abstractions (read by the runtime's registry).
        return new LoadedManifest(
            attribute.ProviderType,
            (List<(Type, GrainProxyFactory, GrainMethodDescriptor[])>)Internal(builder, "Interfaces"),
            (List<Type>)Internal(builder, "GrainClasses"));
    }

    private static object Internal(GrainManifestBuilder builder, string property) =>
        typeof(GrainManifestBuilder).GetProperty(property, BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(builder)!;
}
