namespace Commerce.Runtime;

/// <summary>A state write found a newer version in storage than the one this activation holds.</summary>
public sealed class InconsistentStateException(string message, string? storedEtag, string? currentEtag, Exception? inner = null)
    : Exception(message, inner)
{
    public string? StoredEtag { get; } = storedEtag;

    public string? CurrentEtag { get; } = currentEtag;
}

/// <summary>A grain call did not answer within its timeout.</summary>
public sealed class GrainCallTimeoutException(string message) : TimeoutException(message);

/// <summary>A call would wait on a grain that is itself waiting on the caller.</summary>
public sealed class DeadlockException(string message, IReadOnlyList<GrainId> cycle) : Exception(message)
{
    public IReadOnlyList<GrainId> Cycle { get; } = cycle;
}

/// <summary>A call's argument or result type cannot cross the runtime's serializer.</summary>
public sealed class GrainSerializationException(string message, Type type) : Exception(message)
{
    public Type Type { get; } = type;
}

/// <summary>No grain class implements the requested grain interface, or the interface has no generated proxy.</summary>
public sealed class GrainTypeNotRegisteredException(string message) : Exception(message);

/// <summary>
/// A write was refused because the partition lease it was made under is no longer current: another
/// silo owns the grain now. Nothing was written.
/// </summary>
public sealed class LeaseLostException(string message) : Exception(message);

/// <summary>The silo or client a call needed could not be reached, or the connection to it was lost mid-call.</summary>
public sealed class SiloUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A grain on another silo failed with an exception type this process could not rebuild.</summary>
public sealed class RemoteGrainException(string exceptionType, string message) : Exception($"{exceptionType}: {message}")
{
    public string ExceptionType { get; } = exceptionType;
}
