using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Commerce.Grains;

/// <summary>
/// A grain's subscribers, each for a lease that the subscriber renews by subscribing again: the grain
/// keeps no durable record of them, so after a restart they come back by renewing, and a subscriber
/// that vanished without unsubscribing is forgotten when its lease runs out or a delivery fails.
/// Used only on the grain's own turns.
/// </summary>
internal sealed class ObserverSet<TObserver>(TimeProvider clock, TimeSpan lease) where TObserver : class, IGrainObserver
{
    private readonly Dictionary<TObserver, DateTimeOffset> _leaseEnds = [];

    public int Count => _leaseEnds.Count;

    public void Subscribe(TObserver observer) => _leaseEnds[observer] = clock.GetUtcNow() + lease;

    public void Unsubscribe(TObserver observer) => _leaseEnds.Remove(observer);

    /// <summary>Sends to every subscriber without waiting for them: a slow observer never holds up the grain.</summary>
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
            _ = Deliver(observer, send);
        }
    }

    private async Task Deliver(TObserver observer, Func<TObserver, Task> send)
    {
        try
        {
            await send(observer);
        }
        catch (Exception)
        {
            // Its reference was deleted or its node is gone; it subscribes again if it still cares.
            _leaseEnds.Remove(observer);
        }
    }
}
