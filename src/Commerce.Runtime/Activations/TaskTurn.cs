using Commerce.Runtime.Invocation;

namespace Commerce.Runtime.Activations;

internal enum TaskTurnKind
{
    /// <summary>Activation or deactivation: runs alone, before or after every call.</summary>
    Lifecycle,

    /// <summary>A timer tick that does not count as activity for idle collection.</summary>
    Timer,

    /// <summary>A timer tick that keeps the activation alive.</summary>
    KeepAliveTimer,

    /// <summary>A timer tick that may interleave with any turn.</summary>
    InterleavingTimer,
}

/// <summary>A turn that runs runtime-owned async work on the activation: lifecycle steps and timer ticks.</summary>
internal sealed class TaskTurn(Func<Task> body, Action<Exception?> onDone, TaskTurnKind kind) : Turn
{
    public TaskTurnKind Kind { get; } = kind;

    internal override InvokeFlags Flags => Kind == TaskTurnKind.InterleavingTimer ? InvokeFlags.AlwaysInterleave : InvokeFlags.None;

    internal override bool Start(object target)
    {
        Task task;
        try
        {
            task = body();
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }
        if (task.IsCompleted)
        {
            onDone(task.Exception?.InnerException);
            return true;
        }
        _ = CompleteWhenDone(task);
        return false;
    }

    private async Task CompleteWhenDone(Task task)
    {
        Exception? failure = null;
        try
        {
            await task;
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            onDone(failure);
            Host!.OnTurnCompleted(this);
        }
    }
}
