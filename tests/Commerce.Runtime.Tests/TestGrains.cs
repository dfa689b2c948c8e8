using System.Collections.Concurrent;
using Commerce.Runtime.Timers;

namespace Commerce.Runtime.Tests;

// Grains used by the runtime tests. Static probes let a test observe what happened inside a grain
// without sleeping: each probe is keyed by the grain's key, which every test makes unique.

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> Increment();

    [ReadOnly]
    Task<int> Get();

    ValueTask<int> Add(int amount);

    ValueTask Reset();
}

public sealed class CounterGrain : Grain, ICounterGrain
{
    private int _value;

    public Task<int> Increment() => Task.FromResult(++_value);

    public Task<int> Get() => Task.FromResult(_value);

    public ValueTask<int> Add(int amount) => ValueTask.FromResult(_value += amount);

    public ValueTask Reset()
    {
        _value = 0;
        return ValueTask.CompletedTask;
    }
}

/// <summary>Records how many turns are inside it at once; turns wait on a gate the test opens.</summary>
public interface IProbeGrain : IGrainWithStringKey
{
    Task Hold();

    [ReadOnly]
    Task HoldReadOnly();

    [AlwaysInterleave]
    Task<int> Entered();

    [AlwaysInterleave]
    Task<int> MaxInside();
}

public static class Gates
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Open = new();

    public static Task For(string key) => Open.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public static void Release(string key) => Open.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

public abstract class ProbeGrainBase : Grain, IProbeGrain
{
    private int _entered;
    private int _inside;
    private int _maxInside;

    public Task Hold() => Enter();

    public Task HoldReadOnly() => Enter();

    private async Task Enter()
    {
        _entered++;
        _maxInside = Math.Max(_maxInside, ++_inside);
        await Gates.For(GetPrimaryKeyString());
        _inside--;
    }

    public Task<int> Entered() => Task.FromResult(_entered);

    public Task<int> MaxInside() => Task.FromResult(_maxInside);
}

public sealed class ProbeGrain : ProbeGrainBase;

public interface IReentrantProbeGrain : IProbeGrain;

[Reentrant]
public sealed class ReentrantProbeGrain : ProbeGrainBase, IReentrantProbeGrain;

/// <summary>Calls another grain that calls back: the A → B → A cycle.</summary>
public interface ICyclicGrain : IGrainWithStringKey
{
    Task<string> CallThrough(string nextKey, string backKey);

    Task<string> CallBack(string backKey);

    Task<string> Ping();
}

public sealed class CyclicGrain : Grain, ICyclicGrain
{
    public Task<string> CallThrough(string nextKey, string backKey) =>
        GrainFactory.GetGrain<ICyclicGrain>(nextKey).CallBack(backKey);

    public Task<string> CallBack(string backKey) => GrainFactory.GetGrain<ICyclicGrain>(backKey).Ping();

    public Task<string> Ping() => Task.FromResult("pong");
}

/// <summary>Lifecycle probe: records activations and deactivations per key.</summary>
public interface ILifecycleGrain : IGrainWithStringKey
{
    Task<int> ActivationNumber();

    Task Deactivate();

    Task KeepAliveFor(TimeSpan duration);
}

public static class Lifecycle
{
    public static readonly ConcurrentDictionary<string, int> Activations = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<DeactivationReason>> Deactivated = new();

    public static Task<DeactivationReason> DeactivatedTask(string key) => Signal(key).Task;

    public static TaskCompletionSource<DeactivationReason> Signal(string key) =>
        Deactivated.GetOrAdd(key, _ => new TaskCompletionSource<DeactivationReason>(TaskCreationOptions.RunContinuationsAsynchronously));

    public static void Reset(string key) => Deactivated.TryRemove(key, out _);
}

public abstract class LifecycleGrainBase : Grain, ILifecycleGrain
{
    private int _number;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = GetPrimaryKeyString();
        if (key.StartsWith("fail", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"activation of {key} refused");
        }
        _number = Lifecycle.Activations.AddOrUpdate(key, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Lifecycle.Signal(GetPrimaryKeyString()).TrySetResult(reason);
        return Task.CompletedTask;
    }

    public Task<int> ActivationNumber() => Task.FromResult(_number);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task KeepAliveFor(TimeSpan duration)
    {
        DelayDeactivation(duration);
        return Task.CompletedTask;
    }
}

[CollectionAgeLimit(Seconds = 0.2)]
public sealed class LifecycleGrain : LifecycleGrainBase;

public interface IKeepAliveGrain : ILifecycleGrain;

[KeepAlive]
public sealed class KeepAliveGrain : LifecycleGrainBase, IKeepAliveGrain;

/// <summary>A grain whose method never answers until its gate opens: for timeouts.</summary>
public interface ISlowGrain : IGrainWithStringKey
{
    Task WaitForGate();
}

public sealed class SlowGrain : Grain, ISlowGrain
{
    public Task WaitForGate() => Gates.For(GetPrimaryKeyString());
}

public sealed record Ticket(string Id, int Quantity);

public sealed record CallbackHolder(string Name, Func<int> Callback);

public interface IArgumentsGrain : IGrainWithGuidKey
{
    Task<Ticket> Echo(Ticket ticket);

    Task Unserializable(CallbackHolder holder);
}

public sealed class ArgumentsGrain : Grain, IArgumentsGrain
{
    public static int UnserializableCalls;

    public Task<Ticket> Echo(Ticket ticket) => Task.FromResult(ticket with { Quantity = ticket.Quantity + 1 });

    public Task Unserializable(CallbackHolder holder)
    {
        Interlocked.Increment(ref UnserializableCalls);
        return Task.CompletedTask;
    }
}

/// <summary>An interface nobody implements.</summary>
public interface IOrphanGrain : IGrainWithIntegerKey
{
    Task Nothing();
}

public sealed class CounterState
{
    public int Value { get; set; }

    public List<string> History { get; set; } = [];
}

/// <summary>Durable counter; reentrant so that concurrent writes share group commits.</summary>
public interface IDurableCounterGrain : IGrainWithStringKey
{
    Task<int> Increment();

    [ReadOnly]
    Task<int> Get();

    [ReadOnly]
    Task<string?> Etag();

    Task Overwrite(int value);
}

[Reentrant]
public sealed class DurableCounterGrain([PersistentState("counter")] IPersistentState<CounterState> counter) : Grain, IDurableCounterGrain
{
    public async Task<int> Increment()
    {
        var value = ++counter.State.Value;
        await counter.WriteStateAsync();
        return value;
    }

    public Task<int> Get() => Task.FromResult(counter.State.Value);

    public Task<string?> Etag() => Task.FromResult(counter.Etag);

    public async Task Overwrite(int value)
    {
        counter.State.Value = value;
        await counter.WriteStateAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Written without awaiting: the silo must still flush it before the activation goes away.
        counter.State.History.Add(reason.Code.ToString());
        _ = counter.WriteStateAsync();
        return Task.CompletedTask;
    }
}

public interface IReminderGrain : IGrainWithStringKey, IRemindable
{
    Task Schedule(TimeSpan dueTime, TimeSpan? period);
}

public static class ReminderProbe
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<TickStatus>> Fired = new();
    public static readonly ConcurrentDictionary<string, int> Ticks = new();

    public static TaskCompletionSource<TickStatus> Signal(string key) =>
        Fired.GetOrAdd(key, _ => new TaskCompletionSource<TickStatus>(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed class ReminderGrain : Grain, IReminderGrain
{
    public Task Schedule(TimeSpan dueTime, TimeSpan? period) => RegisterOrUpdateReminder("tick", dueTime, period);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var key = GetPrimaryKeyString();
        var ticks = ReminderProbe.Ticks.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (ticks >= 2 || status.Period is null)
        {
            ReminderProbe.Signal(key).TrySetResult(status);
        }
        return Task.CompletedTask;
    }
}

public interface ITimerGrain : IGrainWithStringKey
{
    Task Start(TimeSpan period, bool interleave);

    [AlwaysInterleave]
    Task<int> Ticks();

    Task Hold();
}

public static class TimerProbe
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<int>> ThirdTick = new();

    public static TaskCompletionSource<int> Signal(string key) =>
        ThirdTick.GetOrAdd(key, _ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed class TimerGrain : Grain, ITimerGrain
{
    private int _ticks;
    private IGrainTimer? _timer;

    public Task Start(TimeSpan period, bool interleave)
    {
        _timer = RegisterGrainTimer(_ =>
        {
            if (++_ticks == 3)
            {
                TimerProbe.Signal(GetPrimaryKeyString()).TrySetResult(_ticks);
            }
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(period, period) { Interleave = interleave });
        return Task.CompletedTask;
    }

    public Task<int> Ticks() => Task.FromResult(_ticks);

    public Task Hold() => Gates.For(GetPrimaryKeyString());
}

public interface IStockObserver : IGrainObserver
{
    Task StockChanged(string sku, int available);
}

public interface IPublisherGrain : IGrainWithStringKey
{
    Task Subscribe(IStockObserver observer);

    Task<int> Publish(int available);
}

public sealed class PublisherGrain : Grain, IPublisherGrain
{
    private readonly List<IStockObserver> _observers = [];

    public Task Subscribe(IStockObserver observer)
    {
        _observers.Add(observer);
        return Task.CompletedTask;
    }

    public async Task<int> Publish(int available)
    {
        var delivered = 0;
        foreach (var observer in _observers.ToArray())
        {
            try
            {
                await observer.StockChanged(GetPrimaryKeyString(), available);
                delivered++;
            }
            catch (InvalidOperationException)
            {
                // The subscriber went away: forget it.
                _observers.Remove(observer);
            }
        }
        return delivered;
    }
}

public interface IWorkerGrain : IGrainWithStringKey
{
    Task<int> HoldAndReportInstance();
}

[StatelessWorker(2)]
public sealed class WorkerGrain : Grain, IWorkerGrain
{
    private static int s_instances;
    private readonly int _instance = Interlocked.Increment(ref s_instances);

    public async Task<int> HoldAndReportInstance()
    {
        await Gates.For(GetPrimaryKeyString());
        return _instance;
    }
}

/// <summary>Tells which silo it lives on, and calls other grains or observers from there.</summary>
public interface ILocatorGrain : IGrainWithStringKey
{
    Task<string> Where();

    Task<string> WhereIs(string otherKey);

    Task<int> Notify(IStockObserver observer, int available);

    Task<int> Increment();
}

public sealed class LocatorGrain([PersistentState("count")] IPersistentState<CounterState> count) : Grain, ILocatorGrain
{
    public Task<string> Where() => Task.FromResult(RuntimeIdentity);

    public Task<string> WhereIs(string otherKey) => GrainFactory.GetGrain<ILocatorGrain>(otherKey).Where();

    public async Task<int> Notify(IStockObserver observer, int available)
    {
        await observer.StockChanged(GetPrimaryKeyString(), available);
        return available;
    }

    public async Task<int> Increment()
    {
        var value = ++count.State.Value;
        await count.WriteStateAsync();
        return value;
    }
}
