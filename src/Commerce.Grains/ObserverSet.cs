using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Commerce.Grains;

/// <summary>
/// A grain's subscribers, each for a lease that the subscriber renews by subscribing again: the grain
/// keeps no durable record of them, so after a restart they come back by renewing, and a subscriber
/// that vanished without unsubscribing is forgotten when its lease runs out. Observer methods are
/// one-way: the grain never waits for a subscriber, and one lost or slow delivery never unsubscribes
/// it (which once silenced a gateway's whole feed under a crowd until its next renewal).
/// Used only on the grain's own turns.
/// </summary>
internal sealed class ObserverSet<TObserver>(TimeProvider clock, TimeSpan lease) where TObserver : class, IGrainObserver
{
    private readonly Dictionary<TObserver, DateTimeOffset> _leaseEnds = [];

    public int Count => _leaseEnds.Count;

    public void Subscribe(TObserver observer) => _leaseEnds[observer] = clock.GetUtcNow() + lease;

    public void Unsubscribe(TObserver observer) => _leaseEnds.Remove(observer);

    /// <summary>Sends to every subscriber whose lease runs; the calls are one-way, so nothing here waits.</summary>
    public void Notify(Func<TObserver, Task> send)
    {
        if (_leaseEnds.Count == 0)
        {
            return;
        }
        var now = clock.GetUtcNow();
        foreach (var (observer, leaseEnd) in _leaseEnds.ToArray())
        {
            if (leaseEnd < now)
            {
                _leaseEnds.Remove(observer);
                continue;
            }
            try
            {
                _ = send(observer);
            }
            catch (Exception)
            {
                // Notifications follow a commit: a reference that cannot even be called must not fail
                // the caller whose change committed. Its lease runs out unless it renews.
            }
        }
    }
}
