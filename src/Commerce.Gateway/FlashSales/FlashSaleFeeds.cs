using System.Collections.Concurrent;
using Commerce.Grains.FlashSales;
using Commerce.Runtime;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace Commerce.Gateway.FlashSales;

/// <summary>
/// This gateway node's subscriptions to sales: one grain observer per sale that any of the node's
/// connections follows, whichever silo hosts the sale, fanning each event out to the connections
/// concerned. The node stays subscribed while it runs, renewing the observer's lease.
/// </summary>
internal sealed class FlashSaleFeeds(IGrainFactory grains, IHubContext<FlashSaleHub, IFlashSaleClient> hub, ILogger<FlashSaleFeeds> logger) : IAsyncDisposable
{
    /// <summary>Renewal period; the sale forgets an observer after two minutes without one.</summary>
    public static readonly TimeSpan LeaseRenewal = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Lazy<FlashSaleFeed>> _feeds = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Starts pushing <paramref name="saleId"/>'s events to the connection; null when there is no such sale.</summary>
    public async Task<QueueStatus?> Follow(string saleId, string connectionId, string customerId)
    {
        var sale = grains.GetGrain<IFlashSaleGrain>(saleId);
        var feed = _feeds.GetOrAdd(saleId, id => new Lazy<FlashSaleFeed>(() => new FlashSaleFeed(id, sale, grains, hub, logger, _stopping.Token))).Value;
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
        await _stopping.CancelAsync();
        foreach (var feed in _feeds.Values.Where(f => f.IsValueCreated))
        {
            feed.Value.Dispose();
        }
    }
}

/// <summary>One sale's events on one node, and the connections there that follow it.</summary>
internal sealed class FlashSaleFeed : IFlashSaleObserver, IDisposable
{
    private readonly string _saleId;
    private readonly IFlashSaleGrain _sale;
    private readonly IGrainFactory _grains;
    private readonly IHubContext<FlashSaleHub, IFlashSaleClient> _hub;
    private readonly ILogger _logger;
    private readonly IFlashSaleObserver _reference;
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _customerByConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Follower> _followers = new(StringComparer.Ordinal);
    private long _admittedThrough;

    /// <summary>A customer followed from this node: their ticket while waiting, and their connections.</summary>
    private sealed class Follower
    {
        public long? WaitingTicket;
        public readonly HashSet<string> Connections = new(StringComparer.Ordinal);
    }

    public FlashSaleFeed(string saleId, IFlashSaleGrain sale, IGrainFactory grains, IHubContext<FlashSaleHub, IFlashSaleClient> hub, ILogger logger, CancellationToken stopping)
    {
        _saleId = saleId;
        _sale = sale;
        _grains = grains;
        _hub = hub;
        _logger = logger;
        _reference = grains.CreateObjectReference<IFlashSaleObserver>(this);
        Subscribed = _sale.Subscribe(_reference);
        _ = RenewLease(stopping);
    }

    public Task Subscribed { get; }

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
                .Where(f => f.WaitingTicket > admittedThrough)
                .Select(f => (f.Connections.ToArray(), f.WaitingTicket!.Value - admittedThrough))];
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

    /// <summary>Renews the subscription so that the sale, even reactivated after a restart, keeps telling this node.</summary>
    private async Task RenewLease(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(FlashSaleFeeds.LeaseRenewal);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await _sale.Subscribe(_reference);
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    _logger.LogWarning(e, "Renewing the subscription to flash sale {SaleId} failed; retrying", _saleId);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }

    public void Dispose() => _grains.DeleteObjectReference(_reference);
}
