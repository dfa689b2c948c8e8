using System.Collections.Concurrent;
using Commerce.Grains.FlashSales;
using Orleans;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace Commerce.Gateway.FlashSales;

/// <summary>
/// This gateway node's subscriptions to sales: one grain observer per sale that any of the node's
/// connections follows, whichever silo hosts the sale, fanning each event out to the connections
/// concerned. The node stays subscribed while it runs (<see cref="ObserverLease{TObserver}"/>).
/// </summary>
internal sealed class FlashSaleFeeds(IGrainFactory grains, IHubContext<FlashSaleHub, IFlashSaleClient> hub, ILogger<FlashSaleFeeds> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<FlashSaleFeed>> _feeds = new(StringComparer.Ordinal);

    /// <summary>Starts pushing <paramref name="saleId"/>'s events to the connection; null when there is no such sale.</summary>
    public async Task<QueueStatus?> Follow(string saleId, string connectionId, string customerId)
    {
        var sale = grains.GetGrain<IFlashSaleGrain>(saleId);
        var feed = _feeds.GetOrAdd(saleId, id => new Lazy<FlashSaleFeed>(() => new FlashSaleFeed(id, sale, grains, hub, logger))).Value;
        await feed.Subscribed;
        // Follow first, then read the place: an event in between is seen twice, never missed.
        feed.Add(connectionId, customerId);
        var place = await sale.GetQueueStatus(customerId);
        if (!place.Succeeded)
        {
            feed.Remove(connectionId);
            return null;
        }
        feed.Learn(place.Status!);
        return place.Status;
    }

    public void Unfollow(string saleId, string connectionId)
    {
        if (_feeds.TryGetValue(saleId, out var feed))
        {
            feed.Value.Remove(connectionId);
        }
    }

    public void Disconnected(string connectionId)
    {
        foreach (var feed in _feeds.Values)
        {
            feed.Value.Remove(connectionId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var feed in _feeds.Values.Where(f => f.IsValueCreated))
        {
            await feed.Value.DisposeAsync();
        }
    }
}

/// <summary>One sale's events on one node, and the connections there that follow it.</summary>
internal sealed class FlashSaleFeed : IFlashSaleObserver, IAsyncDisposable
{
    private readonly string _saleId;
    private readonly IHubContext<FlashSaleHub, IFlashSaleClient> _hub;
    private readonly ObserverLease<IFlashSaleObserver> _lease;
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _customerByConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Follower> _followers = new(StringComparer.Ordinal);
    private long _admittedThrough;

    /// <summary>A customer followed from this node: their ticket while waiting, the last place they were told, and their connections.</summary>
    private sealed class Follower
    {
        public long? WaitingTicket;
        public long? LastPosition;
        public readonly HashSet<string> Connections = new(StringComparer.Ordinal);

        /// <summary>
        /// Whether <paramref name="position"/> is news: a place only ever goes down. The sale's events
        /// reach this node in no particular order, so an event computed from an older admission mark
        /// could otherwise tell a customer a place behind the one they already had.
        /// </summary>
        public bool Advances(long position)
        {
            if (LastPosition is { } last && position >= last)
            {
                return false;
            }
            LastPosition = position;
            return true;
        }
    }

    public FlashSaleFeed(string saleId, IFlashSaleGrain sale, IGrainFactory grains, IHubContext<FlashSaleHub, IFlashSaleClient> hub, ILogger logger)
    {
        _saleId = saleId;
        _hub = hub;
        _lease = new ObserverLease<IFlashSaleObserver>(grains, this, sale.Subscribe, sale.Unsubscribe, logger, "flash sale " + saleId);
    }

    public Task Subscribed => _lease.Subscribed;

    public void Add(string connectionId, string customerId)
    {
        lock (_gate)
        {
            _customerByConnection[connectionId] = customerId;
            if (!_followers.TryGetValue(customerId, out var follower))
            {
                _followers[customerId] = follower = new Follower();
            }
            follower.Connections.Add(connectionId);
        }
    }

    public void Remove(string connectionId)
    {
        lock (_gate)
        {
            if (_customerByConnection.Remove(connectionId, out var customerId) && _followers.TryGetValue(customerId, out var follower))
            {
                follower.Connections.Remove(connectionId);
                if (follower.Connections.Count == 0)
                {
                    _followers.Remove(customerId);
                }
            }
        }
    }

    /// <summary>Takes note of a follower's ticket from their current place.</summary>
    public void Learn(QueueStatus place)
    {
        lock (_gate)
        {
            if (_followers.TryGetValue(place.CustomerId, out var follower))
            {
                follower.WaitingTicket = place.State == QueueEntryState.Waiting ? place.Ticket : null;
                if (place is { State: QueueEntryState.Waiting, Ticket: { } ticket, Position: { } position })
                {
                    follower.Advances(position);
                    // The place was computed from the sale's current admission mark: it may be ahead of this node's.
                    _admittedThrough = Math.Max(_admittedThrough, ticket - position);
                }
            }
        }
    }

    public Task Joined(string saleId, string customerId, long ticket)
    {
        long position;
        string[] connections;
        lock (_gate)
        {
            if (!_followers.TryGetValue(customerId, out var follower) || ticket <= _admittedThrough)
            {
                return Task.CompletedTask;
            }
            follower.WaitingTicket = ticket;
            position = ticket - _admittedThrough;
            if (!follower.Advances(position))
            {
                return Task.CompletedTask;
            }
            connections = [.. follower.Connections];
        }
        return _hub.Clients.Clients(connections).Position(_saleId, position);
    }

    public Task QueueAdvanced(string saleId, long admittedThrough)
    {
        List<(string[] Connections, long Position)> moved;
        lock (_gate)
        {
            if (admittedThrough <= _admittedThrough)
            {
                return Task.CompletedTask;
            }
            _admittedThrough = admittedThrough;
            moved = [.. _followers.Values
                .Where(f => f.WaitingTicket > admittedThrough && f.Advances(f.WaitingTicket.Value - admittedThrough))
                .Select(f => (f.Connections.ToArray(), f.LastPosition!.Value))];
        }
        return Task.WhenAll(moved.Select(m => _hub.Clients.Clients(m.Connections).Position(_saleId, m.Position)));
    }

    public Task Admitted(string saleId, string customerId, PurchaseToken token)
    {
        string[] connections;
        lock (_gate)
        {
            if (!_followers.TryGetValue(customerId, out var follower))
            {
                return Task.CompletedTask;
            }
            follower.WaitingTicket = null;
            connections = [.. follower.Connections];
        }
        return _hub.Clients.Clients(connections).Admitted(_saleId, token);
    }

    public Task SoldOut(string saleId) => _hub.Clients.Clients(AllConnections()).SoldOut(_saleId);

    public Task Ended(string saleId, SalePhase phase) => _hub.Clients.Clients(AllConnections()).SaleEnded(_saleId, phase);

    private string[] AllConnections()
    {
        lock (_gate)
        {
            return [.. _customerByConnection.Keys];
        }
    }

    public ValueTask DisposeAsync() => _lease.DisposeAsync();
}
