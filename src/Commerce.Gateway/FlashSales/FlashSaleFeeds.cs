using System.Threading.Channels;
using Commerce.Grains.FlashSales;
using Orleans;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace Commerce.Gateway.FlashSales;

/// <summary>
/// This gateway node's subscriptions to sales: one grain observer per sale that any of the node's
/// connections follows, whichever silo hosts the sale, fanning each event out to the connections
/// concerned. The node stays subscribed while it runs (<see cref="ObserverLease{TObserver}"/>) and
/// unsubscribes when it stops, before its silo does (<see cref="GatewayFeeds"/>).
/// </summary>
internal sealed class FlashSaleFeeds(IGrainFactory grains, IHubContext<FlashSaleHub, IFlashSaleClient> hub, ILogger<FlashSaleFeeds> logger) : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, FlashSaleFeed> _feeds = new(StringComparer.Ordinal);
    private Task? _stopped;

    /// <summary>Starts pushing <paramref name="saleId"/>'s events to the connection; null when there is no such sale.</summary>
    public async Task<QueueStatus?> Follow(string saleId, string connectionId, string customerId)
    {
        var feed = FeedOf(saleId);
        try
        {
            await feed.Subscribed;
        }
        catch
        {
            // A feed whose first subscription failed is not kept: the next follower subscribes anew.
            await Forget(saleId, feed);
            throw;
        }
        // Follow first, then read the place: an event in between is seen twice, never missed.
        feed.Add(connectionId, customerId);
        var place = await grains.GetGrain<IFlashSaleGrain>(saleId).GetQueueStatus(customerId);
        if (!place.Succeeded)
        {
            feed.Remove(connectionId);
            return null;
        }
        return feed.Learn(place.Status!);
    }

    public void Unfollow(string saleId, string connectionId)
    {
        lock (_gate)
        {
            _feeds.GetValueOrDefault(saleId)?.Remove(connectionId);
        }
    }

    public void Disconnected(string connectionId)
    {
        lock (_gate)
        {
            foreach (var feed in _feeds.Values)
            {
                feed.Remove(connectionId);
            }
        }
    }

    private FlashSaleFeed FeedOf(string saleId)
    {
        lock (_gate)
        {
            if (_stopped is not null)
            {
                throw new HubException("This node is shutting down; connect again to follow the sale.");
            }
            if (!_feeds.TryGetValue(saleId, out var feed))
            {
                _feeds[saleId] = feed = new FlashSaleFeed(saleId, grains, hub, logger);
            }
            return feed;
        }
    }

    private async Task Forget(string saleId, FlashSaleFeed feed)
    {
        lock (_gate)
        {
            if (_feeds.GetValueOrDefault(saleId) == feed)
            {
                _feeds.Remove(saleId);
            }
        }
        await feed.DisposeAsync();
    }

    /// <summary>Unsubscribes every feed (once, however often it is called) and follows no sale after that.</summary>
    public Task StopAsync()
    {
        lock (_gate)
        {
            if (_stopped is null)
            {
                var feeds = _feeds.Values.ToArray();
                _feeds.Clear();
                _stopped = Task.WhenAll(feeds.Select(feed => feed.DisposeAsync().AsTask()));
            }
            return _stopped;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>
/// One sale's events on one node, and the connections there that follow it. The grain calls the
/// observer methods one at a time and drops a call that waited longer than a response timeout, so
/// they only take note and queue the pushes: one loop sends them in order, however slow the clients.
/// </summary>
internal sealed class FlashSaleFeed : IFlashSaleObserver, IAsyncDisposable
{
    private readonly string _saleId;
    private readonly IFlashSaleGrain _sale;
    private readonly IHubContext<FlashSaleHub, IFlashSaleClient> _hub;
    private readonly ILogger _logger;
    private readonly ObserverLease<IFlashSaleObserver> _lease;
    private readonly Channel<Func<Task>> _pushes = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _pushing;
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _customerByConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Follower> _followers = new(StringComparer.Ordinal);

    /// <summary>The highest admission mark this node heard of: tickets up to it left the waiting line.</summary>
    private long _admittedThrough;

    /// <summary>
    /// A customer followed from this node: their ticket and the last place they were told while
    /// waiting (both from a place the sale computed), and their connections.
    /// </summary>
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

    public FlashSaleFeed(string saleId, IGrainFactory grains, IHubContext<FlashSaleHub, IFlashSaleClient> hub, ILogger logger)
    {
        _saleId = saleId;
        _sale = grains.GetGrain<IFlashSaleGrain>(saleId);
        _hub = hub;
        _logger = logger;
        _pushing = PushInOrder();
        _lease = new ObserverLease<IFlashSaleObserver>(grains, this, _sale.Subscribe, _sale.Unsubscribe, logger, "flash sale " + saleId);
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

    /// <summary>
    /// Takes note of a follower's place as the sale computed it, and returns it as the follower is to
    /// be told: nearer the front when this node already heard of a later admission mark.
    /// </summary>
    public QueueStatus Learn(QueueStatus place)
    {
        lock (_gate)
        {
            return Note(place, out _);
        }
    }

    /// <summary><see cref="Learn"/>, under the lock; <paramref name="advanced"/>: the place is news to the follower.</summary>
    private QueueStatus Note(QueueStatus place, out bool advanced)
    {
        var follower = _followers.GetValueOrDefault(place.CustomerId);
        if (place is not { State: QueueEntryState.Waiting, Ticket: { } ticket, Position: { } position })
        {
            follower?.WaitingTicket = null;
            advanced = false;
            return place;
        }
        // The sale computed the place from its mark at the time; this node may have heard of a later one.
        _admittedThrough = Math.Max(_admittedThrough, ticket - position);
        var now = ticket > _admittedThrough ? ticket - _admittedThrough : position;
        advanced = follower is not null && follower.Advances(now);
        if (follower is not null)
        {
            follower.WaitingTicket = ticket;
            now = follower.LastPosition!.Value;
        }
        return place with { Position = now };
    }

    /// <summary>
    /// A followed customer took a ticket. Their place is read from the sale, not computed here: this
    /// node may not know the admission mark the ticket was issued at, and the ticket minus an older
    /// mark is a place the customer never had (once the ticket number itself, pushed as a place).
    /// </summary>
    public Task Joined(string saleId, string customerId, long ticket)
    {
        lock (_gate)
        {
            if (!_followers.TryGetValue(customerId, out var follower) || follower.WaitingTicket == ticket)
            {
                return Task.CompletedTask;
            }
        }
        _ = TellPlace(customerId);
        return Task.CompletedTask;
    }

    private async Task TellPlace(string customerId)
    {
        try
        {
            var place = await _sale.GetQueueStatus(customerId);
            if (place.Status is { } status)
            {
                lock (_gate)
                {
                    var told = Note(status, out var advanced);
                    if (advanced)
                    {
                        Push(customerId, connections => _hub.Clients.Clients(connections).Position(_saleId, told.Position!.Value));
                    }
                }
            }
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Reading the place of customer {CustomerId}, who joined flash sale {SaleId}, failed; no place is pushed to them until they subscribe again", customerId, _saleId);
        }
    }

    public Task QueueAdvanced(string saleId, long admittedThrough)
    {
        lock (_gate)
        {
            if (admittedThrough <= _admittedThrough)
            {
                return Task.CompletedTask;
            }
            _admittedThrough = admittedThrough;
            foreach (var follower in _followers.Values)
            {
                if (follower.WaitingTicket is { } ticket && ticket > admittedThrough && follower.Advances(ticket - admittedThrough))
                {
                    var (connections, position) = (follower.Connections.ToArray(), follower.LastPosition!.Value);
                    Enqueue(() => _hub.Clients.Clients(connections).Position(_saleId, position));
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task Admitted(string saleId, string customerId, PurchaseToken token)
    {
        lock (_gate)
        {
            if (_followers.TryGetValue(customerId, out var follower))
            {
                follower.WaitingTicket = null;
                Push(customerId, connections => _hub.Clients.Clients(connections).Admitted(_saleId, token));
            }
        }
        return Task.CompletedTask;
    }

    public Task SoldOut(string saleId)
    {
        lock (_gate)
        {
            var connections = _customerByConnection.Keys.ToArray();
            Enqueue(() => _hub.Clients.Clients(connections).SoldOut(_saleId));
        }
        return Task.CompletedTask;
    }

    public Task Ended(string saleId, SalePhase phase)
    {
        lock (_gate)
        {
            var connections = _customerByConnection.Keys.ToArray();
            Enqueue(() => _hub.Clients.Clients(connections).SaleEnded(_saleId, phase));
        }
        return Task.CompletedTask;
    }

    /// <summary>Queues a push to a follower's connections as they are now (under the lock).</summary>
    private void Push(string customerId, Func<string[], Task> send)
    {
        if (_followers.TryGetValue(customerId, out var follower))
        {
            var connections = follower.Connections.ToArray();
            Enqueue(() => send(connections));
        }
    }

    /// <summary>Queued under the lock, so pushes leave in the order this node decided them.</summary>
    private void Enqueue(Func<Task> push) => _pushes.Writer.TryWrite(push);

    private async Task PushInOrder()
    {
        await foreach (var push in _pushes.Reader.ReadAllAsync())
        {
            try
            {
                await push();
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Pushing an event of flash sale {SaleId} to its followers failed", _saleId);
            }
        }
    }

    /// <summary>Unsubscribes, then sends what is queued; idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lease.DisposeAsync();
        _pushes.Writer.TryComplete();
        await _pushing;
    }
}
