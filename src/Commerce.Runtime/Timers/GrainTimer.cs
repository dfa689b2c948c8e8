using Commerce.Runtime.Activations;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Timers;

/// <summary>Options for <see cref="Grain.RegisterGrainTimer{TState}"/>, as in Orleans.</summary>
public readonly record struct GrainTimerCreationOptions(TimeSpan DueTime, TimeSpan Period)
{
    /// <summary>Ticks may interleave with other turns of the grain (and with each other's awaits).</summary>
    public bool Interleave { get; init; }

    /// <summary>Ticks count as activity, so the timer keeps an otherwise idle grain from being collected.</summary>
    public bool KeepAlive { get; init; }
}

/// <summary>A registered grain timer; dispose to stop it.</summary>
public interface IGrainTimer : IDisposable
{
    /// <summary>Changes when the next tick comes and the period after it.</summary>
    void Change(TimeSpan dueTime, TimeSpan period);
}

/// <summary>
/// A timer whose ticks run as turns of its activation. The next tick is scheduled only after the
/// previous one finished, so ticks never pile up behind a slow callback. Dies with the activation.
/// </summary>
internal sealed class GrainTimer : IGrainTimer
{
    private readonly Activation _activation;
    private readonly Func<CancellationToken, Task> _callback;
    private readonly TaskTurnKind _kind;
    private readonly Timer _timer;
    private readonly CancellationTokenSource _disposed = new();
    private TimeSpan _period;

    public GrainTimer(Activation activation, Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        _activation = activation;
        _callback = callback;
        _period = options.Period;
        _kind = options.Interleave ? TaskTurnKind.InterleavingTimer
            : options.KeepAlive ? TaskTurnKind.KeepAliveTimer
            : TaskTurnKind.Timer;
        _timer = new Timer(static s => ((GrainTimer)s!).OnDue(), this, Timeout.Infinite, Timeout.Infinite);
        activation.AddTimer(this);
        Arm(options.DueTime);
    }

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        _period = period;
        Arm(dueTime);
    }

    private void Arm(TimeSpan due)
    {
        if (_disposed.IsCancellationRequested || due == Timeout.InfiniteTimeSpan)
        {
            return;
        }
        try
        {
            _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: nothing more to schedule.
        }
    }

    private void OnDue()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        _activation.EnqueueTurn(new TaskTurn(Tick, AfterTick, _kind));
    }

    private Task Tick() => _disposed.IsCancellationRequested ? Task.CompletedTask : _callback(_disposed.Token);

    private void AfterTick(Exception? failure)
    {
        if (failure is not null)
        {
            _activation.Runtime.Logger.LogWarning(failure, "Timer callback of {Grain} failed", _activation.GrainId);
        }
        if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
        {
            Arm(_period);
        }
    }

    public void Dispose()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        _disposed.Cancel();
        _timer.Dispose();
        _activation.RemoveTimer(this);
    }
}
