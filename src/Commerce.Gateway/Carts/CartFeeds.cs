using Commerce.Grains.Carts;
using Orleans;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace Commerce.Gateway.Carts;

/// <summary>
/// This gateway node's cart subscriptions: one grain observer per cart followed by any of the node's
/// connections (wherever the cart grain lives), fanning changes out to a SignalR group per cart.
/// Subscriptions are leases (<see cref="ObserverLease{TObserver}"/>), renewed while someone follows;
/// the last connection leaving ends it, and so does the node stopping (<see cref="GatewayFeeds"/>).
/// </summary>
internal sealed class CartFeeds(IGrainFactory grains, IHubContext<CartHub, ICartClient> hub, ILogger<CartFeeds> logger) : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, CartFeed> _feedByCart = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _cartByConnection = new(StringComparer.Ordinal);
    private Task? _stopped;

    public static string Group(string cartId) => "cart:" + cartId;

    public async Task<CartView> Follow(string cartId, string connectionId)
    {
        CartFeed feed;
        lock (_gate)
        {
            if (_stopped is not null)
            {
                throw new HubException("This node is shutting down; connect again to follow the cart.");
            }
            if (!_feedByCart.TryGetValue(cartId, out feed!))
            {
                feed = _feedByCart[cartId] = new CartFeed(cartId, grains, hub, logger);
            }
            feed.Connections.Add(connectionId);
            _cartByConnection[connectionId] = cartId;
        }
        await hub.Groups.AddToGroupAsync(connectionId, Group(cartId));
        try
        {
            await feed.Subscribed;
        }
        catch
        {
            // A feed whose first subscription failed is not kept: the next follower subscribes anew.
            await Forget(cartId, feed);
            throw;
        }
        // Subscribed first, then read: a change in between is pushed and also in this answer, never missed.
        return await grains.GetGrain<ICartGrain>(cartId).Get();
    }

    public async Task Disconnected(string connectionId)
    {
        CartFeed? ended = null;
        lock (_gate)
        {
            if (_cartByConnection.Remove(connectionId, out var cartId) && _feedByCart.TryGetValue(cartId, out var feed))
            {
                feed.Connections.Remove(connectionId);
                if (feed.Connections.Count == 0)
                {
                    _feedByCart.Remove(cartId);
                    ended = feed;
                }
            }
        }
        if (ended is not null)
        {
            await ended.DisposeAsync();
        }
    }

    private async Task Forget(string cartId, CartFeed feed)
    {
        lock (_gate)
        {
            if (_feedByCart.GetValueOrDefault(cartId) == feed)
            {
                _feedByCart.Remove(cartId);
                foreach (var connectionId in feed.Connections)
                {
                    _cartByConnection.Remove(connectionId);
                }
            }
        }
        await feed.DisposeAsync();
    }

    /// <summary>Unsubscribes every feed (once, however often it is called) and follows no cart after that.</summary>
    public Task StopAsync()
    {
        lock (_gate)
        {
            if (_stopped is null)
            {
                var feeds = _feedByCart.Values.ToArray();
                _feedByCart.Clear();
                _cartByConnection.Clear();
                _stopped = Task.WhenAll(feeds.Select(feed => feed.DisposeAsync().AsTask()));
            }
            return _stopped;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>One cart followed from this node: the observer the cart grain calls, and the node's connections following it.</summary>
internal sealed class CartFeed : ICartObserver, IAsyncDisposable
{
    private readonly IHubContext<CartHub, ICartClient> _hub;
    private readonly ObserverLease<ICartObserver> _lease;

    public CartFeed(string cartId, IGrainFactory grains, IHubContext<CartHub, ICartClient> hub, ILogger logger)
    {
        _hub = hub;
        var cart = grains.GetGrain<ICartGrain>(cartId);
        _lease = new ObserverLease<ICartObserver>(grains, this, cart.Subscribe, cart.Unsubscribe, logger, "cart " + cartId);
    }

    /// <summary>Connections of this node following the cart (guarded by the feeds' lock).</summary>
    public HashSet<string> Connections { get; } = new(StringComparer.Ordinal);

    public Task Subscribed => _lease.Subscribed;

    public Task CartChanged(CartView cart) => _hub.Clients.Group(CartFeeds.Group(cart.CartId)).CartChanged(cart);

    public ValueTask DisposeAsync() => _lease.DisposeAsync();
}
