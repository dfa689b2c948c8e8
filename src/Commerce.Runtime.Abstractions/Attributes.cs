namespace Commerce.Runtime;

/// <summary>Turns of this grain may interleave at await points (one thread at a time still).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ReentrantAttribute : Attribute;

/// <summary>This method may interleave with any turn of the grain, even a non-reentrant one.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlwaysInterleaveAttribute : Attribute;

/// <summary>This method does not change state: read-only turns interleave with each other, never with a writer.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute;

/// <summary>
/// A grain without identity-bound state: several activations per silo serve calls to the same key,
/// for read fan-out. Never persisted.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class StatelessWorkerAttribute(int maxLocalWorkers = 0) : Attribute
{
    /// <summary>At most this many activations per key; 0 means the processor count.</summary>
    public int MaxLocalWorkers { get; } = maxLocalWorkers;
}

/// <summary>Overrides the silo's collection age for idle activations of this grain class.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class CollectionAgeLimitAttribute : Attribute
{
    public double Minutes { get; init; }
    public double Seconds { get; init; }
    public TimeSpan Age => TimeSpan.FromMinutes(Minutes) + TimeSpan.FromSeconds(Seconds);
}

/// <summary>Activations of this grain class are never collected for idleness.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class KeepAliveAttribute : Attribute;

/// <summary>
/// The stable name under which a grain class's state, reminders and identities are stored.
/// Defaults to the class name; set it so that renaming the class does not orphan data.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>Marks a grain constructor parameter of type IPersistentState&lt;T&gt; to be injected.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    public string StateName { get; } = stateName;

    /// <summary>A named storage provider; null means the silo's default.</summary>
    public string? StorageName { get; } = storageName;
}
