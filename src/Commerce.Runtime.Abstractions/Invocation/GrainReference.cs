namespace Commerce.Runtime.Invocation;

/// <summary>Where a reference sends its calls: the silo's dispatcher, or later a cluster client.</summary>
public interface IGrainCallSink
{
    void Send(GrainReference target, Request request);
}

/// <summary>
/// Base of every generated proxy. Holds the target's identity and the sink that delivers calls;
/// the runtime may cache the activation it last delivered to, to skip the directory lookup.
/// </summary>
public abstract class GrainReference(IGrainCallSink sink, GrainId grainId) : IAddressable, IEquatable<GrainReference>
{
    public GrainId GrainId { get; } = grainId;

    internal IGrainCallSink Sink { get; } = sink;

    /// <summary>Runtime-owned cache of the last activation this reference delivered to.</summary>
    internal object? CachedTarget;

    protected void Send(Request request) => Sink.Send(this, request);

    public bool Equals(GrainReference? other) => other is not null && GrainId == other.GrainId;

    public override bool Equals(object? obj) => obj is GrainReference other && Equals(other);

    public override int GetHashCode() => GrainId.GetHashCode();

    public override string ToString() => GrainId.ToString();
}
