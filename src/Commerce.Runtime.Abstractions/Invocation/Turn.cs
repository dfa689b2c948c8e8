namespace Commerce.Runtime.Invocation;

/// <summary>
/// One unit of work on an activation: a call, a timer tick, activation or deactivation. While it runs
/// it is the thread's <see cref="SynchronizationContext"/>, so every await in grain code comes back to
/// the activation's single-threaded queue, and the runtime always knows which turn (and so which call
/// chain) a continuation belongs to, without an AsyncLocal on the hot path.
/// </summary>
public abstract class Turn : SynchronizationContext
{
    internal ITurnHost? Host;

    /// <summary>How this turn may interleave with others on the same activation.</summary>
    internal virtual InvokeFlags Flags => InvokeFlags.None;

    public override void Post(SendOrPostCallback d, object? state)
    {
        var host = Host ?? throw new InvalidOperationException("This turn is not bound to an activation.");
        host.PostContinuation(this, d, state);
    }

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Blocking on a grain turn would deadlock its activation; await instead.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>
    /// Starts the turn on the activation's thread. Returns true when it finished synchronously;
    /// otherwise the turn reports its end through <see cref="ITurnHost.OnTurnCompleted"/>.
    /// </summary>
    internal abstract bool Start(object target);
}

/// <summary>The activation that executes turns: implemented by the runtime.</summary>
internal interface ITurnHost
{
    void PostContinuation(Turn turn, SendOrPostCallback callback, object? state);

    void OnTurnCompleted(Turn turn);
}
