namespace Commerce.Runtime.Invocation;

/// <summary>Placed on an assembly by the source generator: names the type that lists its grain types.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class GrainManifestAttribute(Type providerType) : Attribute
{
    public Type ProviderType { get; } = providerType;
}

/// <summary>Implemented by generated code: lists an assembly's grain interfaces and grain classes.</summary>
public interface IGrainManifestProvider
{
    void Populate(GrainManifestBuilder builder);
}

/// <summary>A generated proxy's factory.</summary>
public delegate GrainReference GrainProxyFactory(IGrainCallSink sink, GrainId grainId);

/// <summary>What the generated code registers, read by the runtime's grain registry.</summary>
public sealed class GrainManifestBuilder
{
    internal List<(Type Interface, GrainProxyFactory Factory, GrainMethodDescriptor[] Methods)> Interfaces { get; } = [];

    internal List<Type> GrainClasses { get; } = [];

    public void AddInterface(Type interfaceType, GrainProxyFactory proxyFactory, GrainMethodDescriptor[] methods) =>
        Interfaces.Add((interfaceType, proxyFactory, methods));

    public void AddGrainClass(Type grainClass) => GrainClasses.Add(grainClass);
}
