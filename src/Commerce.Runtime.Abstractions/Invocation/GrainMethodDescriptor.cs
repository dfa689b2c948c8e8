namespace Commerce.Runtime.Invocation;

/// <summary>How a grain method's turns may interleave.</summary>
[Flags]
public enum InvokeFlags
{
    None = 0,
    ReadOnly = 1,
    AlwaysInterleave = 2,
}

/// <summary>Static facts about one grain interface method, created once by generated code.</summary>
public sealed class GrainMethodDescriptor(
    Type interfaceType,
    string name,
    int methodId,
    InvokeFlags flags,
    Type[] parameterTypes,
    Type resultType,
    Func<object?[], Request> requestFactory)
{
    public Type InterfaceType { get; } = interfaceType;

    public string Name { get; } = name;

    /// <summary>The method's index within its interface, stable for a given interface definition.</summary>
    public int MethodId { get; } = methodId;

    public InvokeFlags Flags { get; } = flags;

    public IReadOnlyList<Type> ParameterTypes { get; } = parameterTypes;

    /// <summary>The awaited result type; <see cref="VoidResult"/> for Task and ValueTask.</summary>
    public Type ResultType { get; } = resultType;

    public string FullName { get; } = $"{interfaceType.Name}.{name}";

    /// <summary>Builds this method's request from deserialized arguments: how a call arriving from another process is rebuilt.</summary>
    public Request CreateRequest(object?[] arguments) => requestFactory(arguments);

    /// <summary>Per-method data the runtime attaches once (statistics, serializability verdict).</summary>
    internal object? RuntimeData;

    public override string ToString() => FullName;
}

/// <summary>The result of a call whose method returns a plain Task or ValueTask.</summary>
public readonly record struct VoidResult;
