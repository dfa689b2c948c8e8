using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Reflection;
using Commerce.Runtime.Invocation;

namespace Commerce.Runtime.Activations;

/// <summary>Everything the runtime knows about one grain class, read once from its attributes.</summary>
internal sealed class GrainClassInfo
{
    public GrainClassInfo(Type classType)
    {
        ClassType = classType;
        GrainType = classType.GetCustomAttribute<GrainTypeAttribute>()?.Name ?? classType.Name;
        Reentrant = classType.IsDefined(typeof(ReentrantAttribute), inherit: true);
        KeepAlive = classType.IsDefined(typeof(KeepAliveAttribute), inherit: true);
        CollectionAge = classType.GetCustomAttribute<CollectionAgeLimitAttribute>()?.Age;
        var worker = classType.GetCustomAttribute<StatelessWorkerAttribute>();
        if (worker is not null)
        {
            IsStatelessWorker = true;
            MaxLocalWorkers = worker.MaxLocalWorkers > 0 ? worker.MaxLocalWorkers : Environment.ProcessorCount;
        }
        Constructor = new GrainConstructor(classType);
    }

    /// <summary>Info for observer targets: always reentrant (notifications never wait on each other), never collected.</summary>
    private GrainClassInfo(string grainType)
    {
        ClassType = typeof(object);
        GrainType = grainType;
        Reentrant = true;
        KeepAlive = true;
        Constructor = null;
    }

    public static GrainClassInfo Observer { get; } = new("observer");

    public Type ClassType { get; }

    /// <summary>The stable name in grain ids, state rows and reminders.</summary>
    public string GrainType { get; }

    public bool Reentrant { get; }

    public bool KeepAlive { get; }

    public TimeSpan? CollectionAge { get; }

    public bool IsStatelessWorker { get; }

    public int MaxLocalWorkers { get; } = 1;

    public GrainConstructor? Constructor { get; }

    public bool ImplementsRemindable => typeof(IRemindable).IsAssignableFrom(ClassType);

    /// <summary>Live activations of this class on this silo.</summary>
    public int ActivationCount;
}

/// <summary>A grain interface's generated proxy and methods, and the class that implements it.</summary>
internal sealed class GrainInterfaceInfo(Type interfaceType, GrainProxyFactory proxyFactory, GrainMethodDescriptor[] methods)
{
    public Type InterfaceType { get; } = interfaceType;

    public GrainProxyFactory ProxyFactory { get; } = proxyFactory;

    public IReadOnlyList<GrainMethodDescriptor> Methods { get; } = methods;

    /// <summary>Resolved on first use; null for observer interfaces.</summary>
    public GrainClassInfo? Implementation { get; set; }
}

/// <summary>
/// The grain types this process knows, read from the manifests the source generator puts on each
/// assembly. Assemblies are read once; the call path only sees the cached results.
/// </summary>
public sealed class GrainRegistry
{
    private readonly object _gate = new();
    private readonly HashSet<Assembly> _assemblies = [];
    private readonly Dictionary<Type, GrainInterfaceInfo> _interfaces = [];
    private readonly Dictionary<string, GrainClassInfo> _classesByGrainType = new(StringComparer.Ordinal);
    private System.Collections.Frozen.FrozenDictionary<string, GrainClassInfo> _classSnapshot = System.Collections.Frozen.FrozenDictionary<string, GrainClassInfo>.Empty;
    private readonly ConcurrentDictionary<Type, GrainInterfaceInfo> _resolved = new();
    private readonly Dictionary<string, GrainInterfaceInfo> _interfacesByName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<GrainMethodDescriptor, string> _proxyInterfaceOf = new(ReferenceEqualityComparer.Instance);

    /// <summary>Adds the grain interfaces and classes generated into <paramref name="assembly"/>.</summary>
    public GrainRegistry AddAssembly(Assembly assembly)
    {
        lock (_gate)
        {
            if (!_assemblies.Add(assembly))
            {
                return this;
            }
            var builder = new GrainManifestBuilder();
            foreach (var attribute in assembly.GetCustomAttributes<GrainManifestAttribute>())
            {
                var provider = (IGrainManifestProvider)Activator.CreateInstance(attribute.ProviderType)!;
                provider.Populate(builder);
            }
            foreach (var (type, factory, methods) in builder.Interfaces)
            {
                var info = new GrainInterfaceInfo(type, factory, methods);
                _interfaces[type] = info;
                _interfacesByName[type.FullName!] = info;
                foreach (var method in methods)
                {
                    _proxyInterfaceOf[method] = type.FullName!;
                }
            }
            foreach (var classType in builder.GrainClasses)
            {
                // A silo must know the interfaces its grains implement, wherever they are declared,
                // to serve calls that name them from another process.
                foreach (var grainInterface in classType.GetInterfaces().Where(i => typeof(IAddressable).IsAssignableFrom(i) && i.Assembly != assembly))
                {
                    AddAssembly(grainInterface.Assembly);
                }
                var info = new GrainClassInfo(classType);
                if (_classesByGrainType.TryGetValue(info.GrainType, out var existing) && existing.ClassType != classType)
                {
                    throw new InvalidOperationException(
                        $"Grain classes {existing.ClassType.FullName} and {classType.FullName} share the grain type name '{info.GrainType}'. Give one a [GrainType] name.");
                }
                _classesByGrainType[info.GrainType] = info;
            }
            _resolved.Clear();
            Volatile.Write(ref _classSnapshot, _classesByGrainType.ToFrozenDictionary(StringComparer.Ordinal));
        }
        return this;
    }

    public IEnumerable<string> GrainTypes
    {
        get
        {
            lock (_gate)
            {
                return [.. _classesByGrainType.Keys];
            }
        }
    }

    /// <summary>The class serving a grain type, or null; lock-free, as it is on the call path.</summary>
    internal GrainClassInfo? FindClass(string grainType) => Volatile.Read(ref _classSnapshot).GetValueOrDefault(grainType);

    internal GrainClassInfo GetClass(string grainType)
    {
        lock (_gate)
        {
            return _classesByGrainType.TryGetValue(grainType, out var info)
                ? info
                : throw new GrainTypeNotRegisteredException($"No grain class with grain type '{grainType}' is registered in this silo.");
        }
    }

    internal IEnumerable<GrainClassInfo> Classes
    {
        get
        {
            lock (_gate)
            {
                return [.. _classesByGrainType.Values];
            }
        }
    }

    /// <summary>The proxy and implementation for a grain interface; throws a clear error when either is missing.</summary>
    internal GrainInterfaceInfo GetGrainInterface(Type interfaceType)
    {
        if (_resolved.TryGetValue(interfaceType, out var cached))
        {
            return cached;
        }
        var info = GetInterface(interfaceType);
        lock (_gate)
        {
            var implementations = _classesByGrainType.Values.Where(c => interfaceType.IsAssignableFrom(c.ClassType)).ToList();
            if (implementations.Count > 1)
            {
                // IKeepAlive : ILifecycle — a class reached through a more derived grain interface is
                // that interface's implementation, not the base's.
                implementations = implementations
                    .Where(c => !c.ClassType.GetInterfaces().Any(i => i != interfaceType && interfaceType.IsAssignableFrom(i) && _interfaces.ContainsKey(i)))
                    .ToList();
            }
            info.Implementation = implementations.Count switch
            {
                1 => implementations[0],
                0 => throw new GrainTypeNotRegisteredException(
                    $"No grain class implements {interfaceType.FullName}. Register the assembly that holds its grain class with the silo."),
                _ => throw new GrainTypeNotRegisteredException(
                    $"Several grain classes implement {interfaceType.FullName} ({string.Join(", ", implementations.Select(c => c.ClassType.FullName))}); a grain interface needs exactly one."),
            };
        }
        _resolved[interfaceType] = info;
        return info;
    }

    /// <summary>How a method is named on the wire: the proxied interface's full name and the method's index in it.</summary>
    internal (string Interface, int MethodId) WireName(GrainMethodDescriptor method) =>
        _proxyInterfaceOf.TryGetValue(method, out var name)
            ? (name, method.MethodId)
            : throw new GrainTypeNotRegisteredException($"{method.FullName} cannot be called on another process: its interface is not registered here.");

    /// <summary>The method a call from another process names; throws a clear error when this process does not know it.</summary>
    internal GrainMethodDescriptor MethodFromWire(string interfaceName, int methodId)
    {
        lock (_gate)
        {
            if (_interfacesByName.TryGetValue(interfaceName, out var info) && methodId >= 0 && methodId < info.Methods.Count)
            {
                return info.Methods[methodId];
            }
        }
        throw new GrainTypeNotRegisteredException($"This process does not know method {methodId} of {interfaceName}: is the same grain interface assembly deployed on every silo?");
    }

    /// <summary>The generated proxy for any grain or observer interface.</summary>
    internal GrainInterfaceInfo GetInterface(Type interfaceType)
    {
        lock (_gate)
        {
            if (_interfaces.TryGetValue(interfaceType, out var info))
            {
                return info;
            }
        }
        // An interface from an assembly nobody registered yet: its manifest is on its own assembly.
        AddAssembly(interfaceType.Assembly);
        lock (_gate)
        {
            return _interfaces.TryGetValue(interfaceType, out var info)
                ? info
                : throw new GrainTypeNotRegisteredException(
                    $"{interfaceType.FullName} has no generated grain proxy. Is it an interface deriving from a keyed IGrain interface or IGrainObserver, in a project that references Commerce.Runtime.CodeGen?");
        }
    }
}
