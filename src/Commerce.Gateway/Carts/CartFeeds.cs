using Commerce.Grains.Carts;
using Orleans;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace Commerce.Gateway.Carts;

/// <summary>
/// This gateway node's cart subscriptions: one grain observer per cart followed by any of the node's
/// connections (wherever the cart grain lives), fanning changes out to a SignalR group per cart.
/// Subscriptions are leases (<see cref="ObserverLease{TObserver}"/>), renewed while someone follows;
/// the last connection leaving ends it.
/// </summary>
internal sealed class CartFeeds(IGrainFactory grains, IHubContext<CartHub, ICartClient> hub, ILogger<CartFeeds> logger) : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, CartFeed> _feedByCart = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _cartByConnection = new(StringComparer.Ordinal);

    public static string Group(string cartId) => "cart:" + cartId;

    public async Task<CartView> Follow(string cartId, string connectionId)
    {
        CartFeed feed;
        lock (_gate)
        {
            if (!_feedByCart.TryGetValue(cartId, out feed!))
            {
                feed = _feedByCart[cartId] = new CartFeed(cartId, grains, hub, logger);
            }
            feed.Connections.Add(connectionId);
            _cartByConnection[connectionId] = cartId;
        }
        await hub.Groups.AddToGroupAsync(connectionId, Group(cartId));
        await feed.Subscribed;
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

    public async ValueTask DisposeAsync()
    {
        CartFeed[] feeds;
        lock (_gate)
        {
            feeds = [.. _feedByCart.Values];
            _feedByCart.Clear();
        }
        foreach (var feed in feeds)
        {
            await feed.DisposeAsync();
        }
    }
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
