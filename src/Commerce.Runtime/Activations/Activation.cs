using System.Collections.Concurrent;
using System.Diagnostics;
using Commerce.Runtime.Invocation;
using Commerce.Runtime.Storage;
using Commerce.Runtime.Telemetry;
using Commerce.Runtime.Timers;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Activations;

internal enum ActivationPhase
{
    Activating,
    Valid,
    Deactivating,
    Closed,
}

/// <summary>
/// One live instance of a grain and its mailbox. All of the grain's code runs here one piece at a
/// time: calls, their await continuations, timer ticks, activation and deactivation. Callers enqueue
/// lock-free; one thread-pool work item drains the queue while there is work, so a hot grain keeps
/// its thread and an idle one costs nothing.
///
/// Turn rules: a non-reentrant grain runs one turn at a time; [Reentrant] grains and
/// [AlwaysInterleave] methods interleave at awaits; [ReadOnly] turns interleave with each other,
/// never with a writer. Messages that may not start yet wait in arrival order.
/// </summary>
internal sealed class Activation : ITurnHost, IThreadPoolWorkItem
{
    private readonly record struct WorkItem(Turn Turn, SendOrPostCallback? Continuation, object? State);

    private readonly ConcurrentQueue<WorkItem> _inbox = new();
    private int _scheduled;
    private volatile bool _closed;

    // Touched by the worker; the timeout monitor reads them under _gate.
    private readonly object _gate = new();
    private readonly Queue<Turn> _waiting = new();
    private readonly List<Turn> _running = [];
    private volatile Turn? _currentSynchronousTurn;

    // Worker-only.
    private int _runningCount;
    private int _readOnlyRunning;
    // Lifecycle turns (deactivation requests) waiting for the running turns to finish; several can
    // be asked for at once (idle collection, a partition hand-off) and none may be lost.
    private readonly Queue<Turn> _pendingLifecycle = new();
    private bool _lifecycleRunning;
    private bool _completedDuringStart;

    private readonly TaskCompletionSource _closedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<GrainTimer> _timers = [];
    private long _lastActiveTicks = Environment.TickCount64;
    private long _keepAliveUntilTicks;
    private Exception? _activationFailure;

    public Activation(SiloRuntime runtime, GrainId grainId, GrainClassInfo info)
    {
        Runtime = runtime;
        GrainId = grainId;
        Info = info;
        Phase = ActivationPhase.Activating;
    }

    /// <summary>An already-valid activation around an existing object: how observers receive calls.</summary>
    public Activation(SiloRuntime runtime, GrainId grainId, object observer)
        : this(runtime, grainId, GrainClassInfo.Observer)
    {
        Instance = observer;
        Phase = ActivationPhase.Valid;
    }

    public SiloRuntime Runtime { get; }

    /// <summary>The partition lease this activation lives under (null when the silo is not clustered): every write carries it.</summary>
    public StorageFence? Fence { get; init; }

    /// <summary>The partition of this grain, for hand-off when the partition moves.</summary>
    public int Partition { get; init; } = -1;

    public GrainId GrainId { get; }

    public GrainClassInfo Info { get; }

    public object? Instance { get; private set; }

    public ActivationPhase Phase { get; private set; }

    public List<IStateParticipant> States { get; } = [];

    public Task Closed => _closedSignal.Task;

    public bool IsClosed => _closed;

    public long LastActiveTicks => Volatile.Read(ref _lastActiveTicks);

    public override string ToString() => GrainId.ToString();

    /// <summary>Starts the activation: its first turn constructs the grain, reads its state and calls OnActivateAsync.</summary>
    public void Activate()
    {
        Interlocked.Increment(ref Info.ActivationCount);
        Enqueue(new WorkItem(new TaskTurn(ActivateAsync, OnActivated, TaskTurnKind.Lifecycle), null, null));
    }

    /// <summary>Delivers a call. False when this activation has closed: the caller must route again.</summary>
    public bool TryEnqueue(Request request)
    {
        if (_closed)
        {
            return false;
        }
        Enqueue(new WorkItem(request, null, null));
        return true;
    }

    /// <summary>Queues a timer tick or another runtime turn.</summary>
    public void EnqueueTurn(Turn turn) => Enqueue(new WorkItem(turn, null, null));

    void ITurnHost.PostContinuation(Turn turn, SendOrPostCallback callback, object? state) =>
        Enqueue(new WorkItem(turn, callback, state));

    private void Enqueue(in WorkItem item)
    {
        _inbox.Enqueue(item);
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        var budget = Runtime.Options.TurnsPerQuantum;
        while (true)
        {
            while (_inbox.TryDequeue(out var item))
            {
                if (item.Continuation is null)
                {
                    Admit(item.Turn);
                }
                else
                {
                    RunContinuation(item);
                }
                if (_waiting.Count > 0 || _pendingLifecycle.Count > 0)
                {
                    PumpWaiting();
                }
                if (--budget == 0)
                {
                    // Yield the thread so other activations get their turn; we stay scheduled.
                    ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                    return;
                }
            }
            Volatile.Write(ref _scheduled, 0);
            Interlocked.MemoryBarrier();
            if (_inbox.IsEmpty || Interlocked.CompareExchange(ref _scheduled, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private void Admit(Turn turn)
    {
        if (turn is TaskTurn { Kind: TaskTurnKind.Lifecycle })
        {
            if (_runningCount == 0)
            {
                StartTurn(turn);
            }
            else
            {
                _pendingLifecycle.Enqueue(turn);
            }
            return;
        }
        if (Phase == ActivationPhase.Closed || turn is Request && !HoldsLease())
        {
            Reroute(turn);
            return;
        }
        if (CanStartNow(turn))
        {
            StartTurn(turn);
            return;
        }
        lock (_gate)
        {
            _waiting.Enqueue(turn);
        }
    }

    /// <summary>A clustered activation runs calls only while its partition lease is current here.</summary>
    private bool HoldsLease() => Fence is not { } fence || Runtime.Ownership is not { } ownership || ownership.IsCurrent(Partition, fence.Epoch);

    private bool CanStartNow(Turn turn)
    {
        if (Phase != ActivationPhase.Valid || _lifecycleRunning || _pendingLifecycle.Count > 0)
        {
            return false;
        }
        var flags = turn.Flags;
        if ((flags & InvokeFlags.AlwaysInterleave) != 0)
        {
            return true;
        }
        return _waiting.Count == 0 && CanRunBeside(flags);
    }

    private bool CanRunBeside(InvokeFlags flags) =>
        _runningCount == 0
        || Info.Reentrant
        || (flags & InvokeFlags.AlwaysInterleave) != 0
        || ((flags & InvokeFlags.ReadOnly) != 0 && _runningCount == _readOnlyRunning);

    /// <summary>Starts waiting turns that may run now, in arrival order; a pending lifecycle turn goes first once the grain is quiet.</summary>
    private void PumpWaiting()
    {
        while (true)
        {
            if (_pendingLifecycle.TryPeek(out var lifecycle))
            {
                if (_runningCount != 0)
                {
                    return;
                }
                _pendingLifecycle.Dequeue();
                StartTurn(lifecycle);
                continue;
            }
            if (_lifecycleRunning)
            {
                return;
            }
            Turn next;
            lock (_gate)
            {
                if (!_waiting.TryPeek(out next!))
                {
                    return;
                }
                if (Phase == ActivationPhase.Valid && !CanRunBeside(next.Flags))
                {
                    return;
                }
                _waiting.Dequeue();
            }
            if (Phase == ActivationPhase.Closed)
            {
                Reroute(next);
            }
            else
            {
                StartTurn(next);
            }
        }
    }

    private void StartTurn(Turn turn)
    {
        if (turn is Request { IsCompleted: true })
        {
            // The caller already gave up (timeout): running it now would answer nobody.
            return;
        }
        if (turn is TaskTurn { Kind: TaskTurnKind.Lifecycle })
        {
            _lifecycleRunning = true;
        }
        turn.Host = this;
        _runningCount++;
        var readOnly = (turn.Flags & InvokeFlags.ReadOnly) != 0;
        if (readOnly)
        {
            _readOnlyRunning++;
        }
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(turn);
        _currentSynchronousTurn = turn;
        var traced = turn is Request && RuntimeMetrics.Spans.HasListeners();
        var previousActivity = traced ? System.Diagnostics.Activity.Current : null;
        if (traced)
        {
            StartSpan((Request)turn);
        }
        bool completed;
        try
        {
            completed = turn.Start(Instance!);
        }
        finally
        {
            _currentSynchronousTurn = null;
            SynchronizationContext.SetSynchronizationContext(previous);
            if (traced)
            {
                System.Diagnostics.Activity.Current = previousActivity;
            }
        }
        if (_completedDuringStart)
        {
            _completedDuringStart = false;
            completed = true;
        }
        if (completed)
        {
            EndTurn(turn);
        }
        else
        {
            lock (_gate)
            {
                _running.Add(turn);
            }
        }
    }

    void ITurnHost.OnTurnCompleted(Turn turn)
    {
        if (ReferenceEquals(turn, _currentSynchronousTurn))
        {
            // Finished before Start returned (its last await found the work already done).
            _completedDuringStart = true;
            return;
        }
        lock (_gate)
        {
            _running.Remove(turn);
        }
        EndTurn(turn);
    }

    private void EndTurn(Turn turn)
    {
        _runningCount--;
        if ((turn.Flags & InvokeFlags.ReadOnly) != 0)
        {
            _readOnlyRunning--;
        }
        switch (turn)
        {
            case Request request:
                Volatile.Write(ref _lastActiveTicks, Environment.TickCount64);
                Runtime.Metrics.CallCompleted(Info, request);
                if (request.Span is { } span)
                {
                    span.SetStatus(request.IsFaulted ? ActivityStatusCode.Error : ActivityStatusCode.Ok);
                    span.Stop();
                }
                break;
            case TaskTurn { Kind: TaskTurnKind.Lifecycle }:
                _lifecycleRunning = false;
                break;
            case TaskTurn { Kind: TaskTurnKind.KeepAliveTimer }:
                Volatile.Write(ref _lastActiveTicks, Environment.TickCount64);
                break;
        }
    }

    /// <summary>Opens the call's span as the current activity, so calls the grain makes become its children.</summary>
    private void StartSpan(Request request)
    {
        request.Span = RuntimeMetrics.Spans.StartActivity(request.Method.FullName, ActivityKind.Server, request.ParentSpan);
        request.Span?.SetTag("grain.id", GrainId.ToString());
    }

    private void RunContinuation(in WorkItem item)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(item.Turn);
        try
        {
            item.Continuation!(item.State);
        }
        catch (Exception e)
        {
            Runtime.Logger.LogError(e, "Unhandled exception in a continuation of {Grain}", GrainId);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    // ---- Lifecycle ----------------------------------------------------------------------------

    private async Task ActivateAsync()
    {
        var constructor = Info.Constructor ?? throw new InvalidOperationException("Observer activations are never activated.");
        Instance = constructor.Create(this, Runtime.Services, States);
        foreach (var state in States)
        {
            await state.ReadAsync();
        }
        if (Instance is Grain grain)
        {
            using var cancellation = new CancellationTokenSource(Runtime.Options.CallTimeout);
            await grain.OnActivateAsync(cancellation.Token);
        }
    }

    private void OnActivated(Exception? failure)
    {
        if (failure is null)
        {
            Phase = ActivationPhase.Valid;
            return;
        }
        Runtime.Logger.LogWarning(failure, "Activation of {Grain} failed", GrainId);
        _activationFailure = failure;
        Runtime.Metrics.ActivationFailed(Info);
        // The activation is discarded and every call that waited for it gets the exception.
        CloseAndRerouteWaiting();
    }

    /// <summary>
    /// Asks the activation to deactivate once its running turns finish. For idle collection, the
    /// request is dropped if a call arrived since <paramref name="requestedAtTicks"/>.
    /// </summary>
    public void Deactivate(DeactivationReason reason, long requestedAtTicks = long.MaxValue)
    {
        if (_closed)
        {
            return;
        }
        EnqueueTurn(new TaskTurn(() => DeactivateAsync(reason, requestedAtTicks), _ => { }, TaskTurnKind.Lifecycle));
    }

    private async Task DeactivateAsync(DeactivationReason reason, long requestedAtTicks)
    {
        if (Phase != ActivationPhase.Valid)
        {
            return;
        }
        if (reason.Code == DeactivationReasonCode.ActivationIdle && (_waiting.Count > 0 || !_inbox.IsEmpty || LastActiveTicks > requestedAtTicks))
        {
            return;
        }
        Phase = ActivationPhase.Deactivating;
        foreach (var timer in _timers.ToArray())
        {
            timer.Dispose();
        }
        try
        {
            if (Instance is Grain grain)
            {
                using var cancellation = new CancellationTokenSource(Runtime.Options.DeactivationTimeout);
                await grain.OnDeactivateAsync(reason, cancellation.Token);
            }
        }
        catch (Exception e)
        {
            Runtime.Logger.LogWarning(e, "OnDeactivateAsync of {Grain} failed ({Reason})", GrainId, reason);
        }
        foreach (var state in States)
        {
            try
            {
                await state.FlushAsync();
            }
            catch (Exception e)
            {
                Runtime.Logger.LogWarning(e, "Flushing state of {Grain} failed during deactivation", GrainId);
            }
        }
        CloseAndRerouteWaiting();
    }

    /// <summary>Closes the activation; the calls that were waiting go where <see cref="Reroute"/> sends them.</summary>
    private void CloseAndRerouteWaiting()
    {
        List<Turn> waiting;
        lock (_gate)
        {
            waiting = [.. _waiting];
            _waiting.Clear();
        }
        Close();
        foreach (var turn in waiting)
        {
            Reroute(turn);
        }
    }

    private void Close()
    {
        Runtime.Catalog.Remove(this);
        Phase = ActivationPhase.Closed;
        _closed = true;
        foreach (var timer in _timers.ToArray())
        {
            timer.Dispose();
        }
        Interlocked.Decrement(ref Info.ActivationCount);
        _closedSignal.TrySetResult();
    }

    /// <summary>Stops an observer target: later calls to its reference fail instead of being delivered.</summary>
    public void Retire()
    {
        Runtime.Catalog.Remove(this);
        Phase = ActivationPhase.Closed;
        _closed = true;
        _closedSignal.TrySetResult();
    }

    /// <summary>
    /// A message that reached a closed activation goes to the grain's next activation, unless this
    /// one failed to activate: every call sent to it before it closed gets that failure.
    /// </summary>
    private void Reroute(Turn turn)
    {
        if (turn is not Request request)
        {
            return;
        }
        if (_activationFailure is { } failure)
        {
            request.TryFail(failure);
            return;
        }
        Runtime.Dispatcher.Route(request);
    }

    // ---- Grain-facing services ----------------------------------------------------------------

    public void RequestDeactivateOnIdle() =>
        Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called"));

    public void DelayDeactivation(TimeSpan duration) =>
        Volatile.Write(ref _keepAliveUntilTicks, Environment.TickCount64 + (long)duration.TotalMilliseconds);

    /// <summary>True when the collector may deactivate this activation as idle at <paramref name="nowTicks"/>.</summary>
    public bool IsCollectible(long nowTicks, TimeSpan defaultAge)
    {
        if (Info.KeepAlive || Phase != ActivationPhase.Valid || nowTicks < Volatile.Read(ref _keepAliveUntilTicks))
        {
            return false;
        }
        var age = Info.CollectionAge ?? defaultAge;
        return nowTicks - LastActiveTicks >= (long)age.TotalMilliseconds && _inbox.IsEmpty;
    }

    public void AddTimer(GrainTimer timer)
    {
        if (_closed)
        {
            timer.Dispose();
            return;
        }
        _timers.Add(timer);
    }

    public void RemoveTimer(GrainTimer timer) => _timers.Remove(timer);

    // ---- Timeouts -----------------------------------------------------------------------------

    /// <summary>Fails every call here whose deadline passed. Called by the timeout monitor from any thread.</summary>
    public void FailExpiredCalls(long nowTicks)
    {
        foreach (var item in _inbox)
        {
            if (item.Continuation is null && item.Turn is Request request)
            {
                FailIfExpired(request, nowTicks);
            }
        }
        lock (_gate)
        {
            foreach (var turn in _waiting)
            {
                if (turn is Request request)
                {
                    FailIfExpired(request, nowTicks);
                }
            }
            foreach (var turn in _running)
            {
                if (turn is Request request)
                {
                    FailIfExpired(request, nowTicks);
                }
            }
        }
        if (_currentSynchronousTurn is Request current)
        {
            FailIfExpired(current, nowTicks);
        }
    }

    private void FailIfExpired(Request request, long nowTicks)
    {
        if (nowTicks < request.DeadlineTicks || request.IsCompleted)
        {
            return;
        }
        var waited = TimeSpan.FromMilliseconds(nowTicks - request.DeadlineTicks) + Runtime.Options.CallTimeout;
        if (request.TryFail(new GrainCallTimeoutException(
                $"Call to {GrainId}.{request.Method.Name} ({request.Method.FullName}) timed out after {waited.TotalSeconds:0.#} s.")))
        {
            Runtime.Metrics.CallTimedOut(Info, request);
        }
    }

    /// <summary>Number of calls queued or running, for telemetry.</summary>
    public int PendingCount => _inbox.Count + _waiting.Count + _runningCount;

    internal static long Elapsed(long startTimestamp) => Stopwatch.GetTimestamp() - startTimestamp;
}
