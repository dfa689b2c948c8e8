using System.Collections.Concurrent;
using Commerce.Runtime.Storage;

namespace Commerce.Runtime.Activations;

/// <summary>
/// The activations living in this silo, by grain id: at most one per grain, except stateless
/// workers, which get a small pool per id. Creating an entry is cheap; the grain itself is built by
/// the activation's first turn.
/// </summary>
internal sealed class Catalog(SiloRuntime runtime)
{
    private readonly ConcurrentDictionary<GrainId, Activation> _activations = new();
    private readonly ConcurrentDictionary<GrainId, StatelessWorkerPool> _workers = new();

    public int Count => _activations.Count + _workers.Values.Sum(p => p.Count);

    public IEnumerable<Activation> All => _activations.Values.Concat(_workers.Values.SelectMany(p => p.Activations));

    /// <summary>The grain's activation here, created under <paramref name="fence"/> (the partition lease, when clustered) if there is none.</summary>
    public Activation GetOrCreate(GrainId grainId, GrainClassInfo info, StorageFence? fence = null, int partition = -1)
    {
        if (info.IsStatelessWorker)
        {
            return _workers.GetOrAdd(grainId, static (id, state) => new StatelessWorkerPool(state.runtime, id, state.info), (runtime, info)).Pick();
        }
        if (_activations.TryGetValue(grainId, out var existing))
        {
            return existing;
        }
        var created = new Activation(runtime, grainId, info) { Fence = fence, Partition = partition };
        var winner = _activations.GetOrAdd(grainId, created);
        if (ReferenceEquals(winner, created))
        {
            created.Activate();
        }
        return winner;
    }

    public Activation? Find(GrainId grainId) => _activations.GetValueOrDefault(grainId);

    /// <summary>Registers an activation built elsewhere (an observer target).</summary>
    public void Add(Activation activation)
    {
        if (!_activations.TryAdd(activation.GrainId, activation))
        {
            throw new InvalidOperationException($"{activation.GrainId} is already active.");
        }
    }

    public void Remove(Activation activation)
    {
        if (activation.Info.IsStatelessWorker)
        {
            if (_workers.TryGetValue(activation.GrainId, out var pool))
            {
                pool.Remove(activation);
            }
            return;
        }
        _activations.TryRemove(new KeyValuePair<GrainId, Activation>(activation.GrainId, activation));
    }

    /// <summary>Several activations serving one stateless-worker id: an idle one if any, a new one while under the limit, else the least busy.</summary>
    private sealed class StatelessWorkerPool(SiloRuntime runtime, GrainId grainId, GrainClassInfo info)
    {
        private readonly object _gate = new();
        private Activation[] _activations = [];

        public int Count => Volatile.Read(ref _activations).Length;

        public IEnumerable<Activation> Activations => Volatile.Read(ref _activations);

        public Activation Pick()
        {
            var current = Volatile.Read(ref _activations);
            Activation? leastBusy = null;
            foreach (var activation in current)
            {
                if (activation.IsClosed)
                {
                    continue;
                }
                if (activation.PendingCount == 0)
                {
                    return activation;
                }
                if (leastBusy is null || activation.PendingCount < leastBusy.PendingCount)
                {
                    leastBusy = activation;
                }
            }
            lock (_gate)
            {
                if (_activations.Length < info.MaxLocalWorkers || leastBusy is null)
                {
                    var created = new Activation(runtime, grainId, info);
                    _activations = [.. _activations, created];
                    created.Activate();
                    return created;
                }
            }
            return leastBusy;
        }

        public void Remove(Activation activation)
        {
            lock (_gate)
            {
                _activations = [.. _activations.Where(a => !ReferenceEquals(a, activation))];
            }
        }
    }
}
