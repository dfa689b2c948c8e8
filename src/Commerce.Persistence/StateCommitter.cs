using Microsoft.Extensions.Options;

namespace Commerce.Persistence;

/// <summary>Configuration section <c>Commerce:Storage</c>: how the hot grains' commits reach PostgreSQL.</summary>
public sealed class StateCommitterOptions
{
    public const string Section = "Commerce:Storage";

    /// <summary>Whether the writes of many activations share round trips (<see cref="StateCommitter"/>); false: each commits alone.</summary>
    public bool CrossGrainCommits { get; set; } = true;

    /// <summary>The most writes one round trip carries.</summary>
    public int MaxBatchRows { get; set; } = 256;

    /// <summary>
    /// Round trips in flight at once. A second one overlaps the first's fsync with its own, so PostgreSQL's
    /// WAL flush covers both; beyond the cores there is nothing to overlap with, and writes wait in the next batch instead.
    /// </summary>
    public int MaxBatchesInFlight { get; set; } = Math.Clamp(Environment.ProcessorCount, 2, 4);
}

/// <summary>
/// The silo's one committer of hot grain state (<see cref="JournaledState{TState}"/>): a write that arrives while
/// fewer than <see cref="StateCommitterOptions.MaxBatchesInFlight"/> round trips are in flight leaves at once, in a
/// batch of its own; one that arrives while all are busy waits for the next free one, together with every write
/// that arrived meanwhile (up to <see cref="StateCommitterOptions.MaxBatchRows"/>). So batches grow with load and a
/// lone write is never held: no timer, no wait for company. Each write is answered once its round trip committed,
/// with its own outcome (<see cref="GrainStateStore.WriteBatchAsync"/>).
/// </summary>
/// <remarks>
/// The order of one grain's commits is its own: <see cref="JournaledState{TState}"/> has at most one in flight.
/// </remarks>
public sealed class StateCommitter
{
    private readonly GrainStateStore _store;
    private readonly StorageMetrics _metrics;
    private readonly StateCommitterOptions _options;
    private readonly Lock _gate = new();
    private List<PendingWrite> _waiting = [];
    private int _inFlight;

    public StateCommitter(GrainStateStore store, StorageMetrics metrics, IOptions<StateCommitterOptions> options)
    {
        _store = store;
        _metrics = metrics;
        _options = options.Value;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBatchRows, 1, "Commerce:Storage:MaxBatchRows");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBatchesInFlight, 1, "Commerce:Storage:MaxBatchesInFlight");
    }

    /// <summary><see cref="GrainStateStore.WriteAsync"/>, in a round trip shared with other grains' writes.</summary>
    public Task<long> WriteAsync(string grainType, string grainKey, string stateName, ReadOnlyMemory<byte> json, long? expectedVersion,
        IReadOnlyList<JournalRecord> journal)
    {
        if (!_options.CrossGrainCommits)
        {
            return _store.WriteAsync(grainType, grainKey, stateName, json, expectedVersion, journal, CancellationToken.None);
        }
        if (json.IsEmpty)
        {
            throw new ArgumentException("A state payload must be a JSON document, not empty.", nameof(json));
        }
        // Completed on a committer thread: a grain's continuation goes to its activation's scheduler, a cheap
        // enqueue, so answering a batch runs none of its callers' code here.
        var write = new PendingWrite(new StateWrite(grainType, grainKey, stateName, json, expectedVersion, journal));
        bool send;
        lock (_gate)
        {
            _waiting.Add(write);
            send = _inFlight < _options.MaxBatchesInFlight;
            if (send)
            {
                _inFlight++;
            }
        }
        if (send)
        {
            _ = SendWhileWaiting();
        }
        return write.Task;
    }

    /// <summary>
    /// One round trip's worth of waiting writes after another, until none waits. Its first batch starts on the
    /// caller's thread (a lone write leaves without a hop); after the first await it runs on the thread pool.
    /// </summary>
    private async Task SendWhileWaiting()
    {
        while (TakeBatch() is { } batch)
        {
            await SendAsync(batch).ConfigureAwait(false);
        }
    }

    private List<PendingWrite>? TakeBatch()
    {
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _inFlight--;
                return null;
            }
            if (_waiting.Count == 1)
            {
                var lone = _waiting;
                _waiting = [];
                return lone;
            }
            // One statement writes each row once: a second write of the same row (two activations of one grain
            // in this silo, which Orleans does not make) waits for the next batch, where its version check decides.
            var batch = new List<PendingWrite>(Math.Min(_waiting.Count, _options.MaxBatchRows));
            var rows = new HashSet<(string, string, string)>();
            var later = new List<PendingWrite>();
            foreach (var write in _waiting)
            {
                if (batch.Count < _options.MaxBatchRows && rows.Add((write.Write.GrainType, write.Write.GrainKey, write.Write.StateName)))
                {
                    batch.Add(write);
                }
                else
                {
                    later.Add(write);
                }
            }
            _waiting = later;
            return batch;
        }
    }

    private async Task SendAsync(List<PendingWrite> batch)
    {
        WriteOutcome[] outcomes;
        try
        {
            outcomes = await _store.WriteBatchAsync(batch.ConvertAll(w => w.Write), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // The round trip itself failed: every write of it is in doubt, and each caller hears so.
            foreach (var write in batch)
            {
                write.TrySetException(error);
            }
            return;
        }
        _metrics.Batched(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Error is { } error)
            {
                batch[i].TrySetException(error);
            }
            else
            {
                batch[i].TrySetResult(outcomes[i].Version);
            }
        }
    }

    private sealed class PendingWrite(StateWrite write) : TaskCompletionSource<long>
    {
        public StateWrite Write { get; } = write;
    }
}
