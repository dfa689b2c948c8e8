using System.Threading.Tasks.Sources;

namespace Commerce.Runtime.Invocation;

/// <summary>
/// A grain call in flight: generated code derives one sealed class per interface method, holding the
/// arguments and invoking the method on the target. The request is also the message that travels
/// through the mailbox and the caller's awaitable, so a call costs one allocation for itself.
/// </summary>
public abstract class Request : Turn
{
    public abstract GrainMethodDescriptor Method { get; }

    public abstract int ArgumentCount { get; }

    public abstract object? GetArgument(int index);

    /// <summary>The grain this call is addressed to; set by the runtime when the call is sent.</summary>
    internal GrainId Target;

    /// <summary>The turn that made this call, when a grain made it: the call chain for cycle detection.</summary>
    internal Turn? Caller;

    /// <summary><see cref="Environment.TickCount64"/> past which the caller gives up.</summary>
    internal long DeadlineTicks;

    /// <summary><see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when sent, for latency.</summary>
    internal long SentTimestamp;

    /// <summary>The caller's trace context, captured only while someone listens for spans.</summary>
    internal System.Diagnostics.ActivityContext ParentSpan;

    /// <summary>The span of this call's turn, only while someone listens for spans.</summary>
    internal System.Diagnostics.Activity? Span;

    public abstract bool IsCompleted { get; }

    /// <summary>Awaits the result as an object: how a silo answers a call that came over the network.</summary>
    public abstract Task<object?> AsBoxedTask();

    /// <summary>Completes the call with a result that came back over the network.</summary>
    internal abstract bool TryCompleteBoxed(object? result);

    /// <summary>
    /// The call chain of a call that arrived from another process: grain ids of the turns waiting
    /// upstream, with whether each may be re-entered. Null for local calls (their chain is <see cref="Caller"/>).
    /// </summary>
    internal IReadOnlyList<(GrainId Grain, bool Reentrant)>? RemoteChain;

    /// <summary>True once the call completed with an exception.</summary>
    public abstract bool IsFaulted { get; }

    /// <summary>The exception the call completed with; null unless <see cref="IsFaulted"/>.</summary>
    public abstract Exception? Failure { get; }

    internal override InvokeFlags Flags => Method.Flags;

    /// <summary>Completes the call with an error unless it already completed. Safe from any thread.</summary>
    public abstract bool TryFail(Exception exception);
}

/// <summary>A call whose awaited result is <typeparamref name="TResult"/>.</summary>
public abstract class Request<TResult> : Request, IValueTaskSource<TResult>, IValueTaskSource
{
    // Continuations run asynchronously so that a caller's code never runs on the callee's turn.
    private ManualResetValueTaskSourceCore<TResult> _completion = new() { RunContinuationsAsynchronously = true };
    private int _completed;

    // The failure itself rather than a flag: telemetry reports its message at no extra cost per call.
    private Exception? _failure;

    /// <summary>Generated: calls the interface method on the grain with the held arguments.</summary>
    protected abstract ValueTask<TResult> InvokeCore(object target);

    public override bool IsCompleted => Volatile.Read(ref _completed) != 0;

    public override bool IsFaulted => Volatile.Read(ref _failure) is not null;

    public override Exception? Failure => Volatile.Read(ref _failure);

    public ValueTask<TResult> AsValueTask() => new(this, _completion.Version);

    public ValueTask AsVoidValueTask() => new(this, _completion.Version);

    public Task<TResult> AsTask() => AsValueTask().AsTask();

    public override async Task<object?> AsBoxedTask() => await AsValueTask();

    internal override bool TryCompleteBoxed(object? result) => TryComplete((TResult)result!);

    public bool TryComplete(TResult result)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }
        _completion.SetResult(result);
        return true;
    }

    public override bool TryFail(Exception exception)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }
        Volatile.Write(ref _failure, exception);
        _completion.SetException(exception);
        return true;
    }

    internal override bool Start(object target)
    {
        ValueTask<TResult> pending;
        try
        {
            pending = InvokeCore(target);
        }
        catch (Exception e)
        {
            TryFail(e);
            return true;
        }
        if (pending.IsCompleted)
        {
            try
            {
                TryComplete(pending.Result);
            }
            catch (Exception e)
            {
                TryFail(e);
            }
            return true;
        }
        _ = CompleteWhenDone(pending);
        return false;
    }

    private async Task CompleteWhenDone(ValueTask<TResult> pending)
    {
        try
        {
            TryComplete(await pending);
        }
        catch (Exception e)
        {
            TryFail(e);
        }
        finally
        {
            // Runs on this turn's activation: the await above came back through Post.
            Host!.OnTurnCompleted(this);
        }
    }

    /// <summary>Adapts a Task-returning grain method for <see cref="InvokeCore"/>.</summary>
    protected static ValueTask<VoidResult> FromTask(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return default;
        }
        return AwaitTask(task);

        static async ValueTask<VoidResult> AwaitTask(Task task)
        {
            await task;
            return default;
        }
    }

    /// <summary>Adapts a ValueTask-returning grain method for <see cref="InvokeCore"/>.</summary>
    protected static ValueTask<VoidResult> FromValueTask(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return default;
        }
        return AwaitValueTask(task);

        static async ValueTask<VoidResult> AwaitValueTask(ValueTask task)
        {
            await task;
            return default;
        }
    }

    TResult IValueTaskSource<TResult>.GetResult(short token) => _completion.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _completion.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
