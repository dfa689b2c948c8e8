using System.Diagnostics;
using Commerce.Runtime.Activations;
using Commerce.Runtime.Serialization;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Storage;

/// <summary>What an activation needs from each of its persistent states.</summary>
internal interface IStateParticipant
{
    Task ReadAsync();

    /// <summary>Completes when every write requested so far has committed.</summary>
    Task FlushAsync();
}

/// <summary>
/// A grain's named state with group commit. A write request does not write by itself: it joins the
/// next flush, which snapshots the state on the activation's thread, writes it once, and answers
/// every request it covered only after the commit. While one flush is in flight, further requests
/// (from interleaved turns of a reentrant grain) accumulate and share the next flush. A failed
/// write fails every request it covered and every later one, and deactivates the grain, whose
/// memory may now be ahead of storage; the next call reloads what was committed.
/// </summary>
internal sealed class PersistentState<TState> : IPersistentState<TState>, IStateParticipant
{
    private readonly Activation _activation;
    private readonly IGrainStorage _storage;
    private readonly string _stateName;
    private readonly bool _groupCommit;
    private List<PendingOperation> _pending = [];
    private List<JournalRecord> _journal = [];
    private bool _flushing;
    private TaskCompletionSource? _idle;

    // Holding: after a batch of callers was answered, the next write waits (briefly) for them to
    // come back, so that one commit serves them all again instead of splitting them in two groups
    // that alternate (each caller would then wait for two commits per write).
    private static readonly TimeSpan MaximumHold = TimeSpan.FromMilliseconds(1);
    private bool _holding;
    private int _holdUntilPending;
    private Timer? _holdTimer;
    private Invocation.Turn? _context;

    private readonly record struct PendingOperation(bool Clear, TaskCompletionSource Completion);

    public PersistentState(Activation activation, IGrainStorage storage, string stateName)
    {
        _activation = activation;
        _storage = storage;
        _stateName = stateName;
        _groupCommit = activation.Runtime.Options.GroupCommit;
        GrainSerializer.EnsureSerializable(typeof(TState));
        State = Activator.CreateInstance<TState>();
    }

    public TState State { get; set; }

    public long? Version { get; private set; }

    public string? Etag => Version?.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public bool RecordExists => Version is not null;

    Task IStateParticipant.ReadAsync() => ReadStateAsync();

    public async Task ReadStateAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var stored = await _storage.ReadAsync(_activation.GrainId, _stateName, CancellationToken.None);
        _activation.Runtime.Metrics.StorageRead(Stopwatch.GetElapsedTime(started));
        if (stored is null)
        {
            State = Activator.CreateInstance<TState>();
            Version = null;
            return;
        }
        State = GrainSerializer.Deserialize<TState>(stored.Json);
        Version = stored.Version;
    }

    public Task WriteStateAsync() => Request(clear: false);

    public void AppendToJournal<TEntry>(string kind, TEntry entry)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        _journal.Add(new JournalRecord(kind, GrainSerializer.SerializeToUtf8Bytes(entry)));
    }

    public Task ClearStateAsync() => Request(clear: true);

    public Task FlushAsync()
    {
        if (_holding)
        {
            StopHoldingAndFlush();
        }
        if (!_flushing && _pending.Count == 0)
        {
            return Task.CompletedTask;
        }
        _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _idle.Task;
    }

    private Task Request(bool clear)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Add(new PendingOperation(clear, completion));
        _context = SynchronizationContext.Current as Invocation.Turn ?? _context;
        if (_holding)
        {
            if (_pending.Count >= _holdUntilPending || clear)
            {
                StopHoldingAndFlush();
            }
        }
        else if (!_flushing)
        {
            _flushing = true;
            _ = FlushLoop();
        }
        return completion.Task;
    }

    private void StopHoldingAndFlush()
    {
        _holding = false;
        _holdTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (!_flushing && _pending.Count > 0)
        {
            _flushing = true;
            _ = FlushLoop();
        }
    }

    /// <summary>Hold when a large batch was just answered and few of its callers are back yet.</summary>
    private bool ShouldHold(int answered) => _groupCommit && answered >= 4 && _pending.Count < answered && _context is not null;

    private void Hold(int answered)
    {
        _holding = true;
        _holdUntilPending = answered;
        // The timer fires on a pool thread; the flush itself must start on the activation.
        _holdTimer ??= new Timer(static s => ((PersistentState<TState>)s!).OnHoldExpired(), this, Timeout.Infinite, Timeout.Infinite);
        _holdTimer.Change(MaximumHold, Timeout.InfiniteTimeSpan);
    }

    private void OnHoldExpired() => _context?.Post(static s =>
    {
        var state = (PersistentState<TState>)s!;
        if (state._holding)
        {
            state.StopHoldingAndFlush();
        }
    }, this);

    /// <summary>Runs on the activation (its awaits come back through the turn's context).</summary>
    private async Task FlushLoop()
    {
        try
        {
            while (_pending.Count > 0)
            {
                var batch = TakeBatch();
                try
                {
                    await Commit(batch[^1].Clear);
                }
                catch (Exception e)
                {
                    FailEverything(batch, e);
                    return;
                }
                foreach (var operation in batch)
                {
                    operation.Completion.TrySetResult();
                }
                if (ShouldHold(batch.Count))
                {
                    Hold(batch.Count);
                    return;
                }
            }
        }
        finally
        {
            _flushing = false;
            if (!_holding && _pending.Count == 0 && _idle is { } idle)
            {
                _idle = null;
                idle.TrySetResult();
            }
        }
    }

    /// <summary>With group commit, every pending write up to the next clear; without, one operation.</summary>
    private List<PendingOperation> TakeBatch()
    {
        if (!_groupCommit || _pending.Count == 1)
        {
            var first = _pending[0];
            _pending.RemoveAt(0);
            return [first];
        }
        var clearAt = _pending.FindIndex(p => p.Clear);
        if (clearAt < 0)
        {
            var all = _pending;
            _pending = [];
            return all;
        }
        var count = clearAt == 0 ? 1 : clearAt;
        var batch = _pending.GetRange(0, count);
        _pending.RemoveRange(0, count);
        return batch;
    }

    private async Task Commit(bool clear)
    {
        var started = Stopwatch.GetTimestamp();
        if (clear)
        {
            await _storage.ClearAsync(_activation.GrainId, _stateName, Version, _activation.Fence, CancellationToken.None);
            Version = null;
            State = Activator.CreateInstance<TState>();
        }
        else
        {
            // Snapshot now, on the activation's thread: everything requested so far is in it,
            // state and journal alike.
            var json = GrainSerializer.SerializeToUtf8Bytes(State);
            var journal = _journal;
            _journal = [];
            Version = await _storage.WriteAsync(_activation.GrainId, _stateName, json, Version, journal, _activation.Fence, CancellationToken.None);
        }
        _activation.Runtime.Metrics.StorageWrite(Stopwatch.GetElapsedTime(started));
    }

    private void FailEverything(List<PendingOperation> batch, Exception error)
    {
        _activation.Runtime.Logger.LogWarning("State '{State}' of {Grain} was not written ({Kind}): {Message}",
            _stateName, _activation.GrainId, error.GetType().Name, error.Message);
        _activation.Runtime.Metrics.StorageWriteFailed(error is InconsistentStateException or LeaseLostException);
        foreach (var operation in batch)
        {
            operation.Completion.TrySetException(error);
        }
        foreach (var operation in _pending)
        {
            operation.Completion.TrySetException(error);
        }
        _pending.Clear();
        _journal.Clear();
        _activation.Deactivate(new DeactivationReason(DeactivationReasonCode.StateWriteFailed, error.Message));
    }
}
