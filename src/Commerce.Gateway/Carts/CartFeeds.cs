using Commerce.Grains.Carts;
using Commerce.Runtime;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace Commerce.Gateway.Carts;

/// <summary>
/// This gateway node's cart subscriptions: one grain observer per cart followed by any of the node's
/// connections (wherever the cart grain lives), fanning changes out to a SignalR group per cart.
/// Subscriptions are leases, renewed while someone follows; the last connection leaving ends it.
/// </summary>
internal sealed class CartFeeds(IGrainFactory grains, IHubContext<CartHub, ICartClient> hub, ILogger<CartFeeds> logger) : IAsyncDisposable
{
    /// <summary>Renewal period; the cart forgets an observer after two minutes without one.</summary>
    public static readonly TimeSpan LeaseRenewal = TimeSpan.FromSeconds(30);

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
                feed = _feedByCart[cartId] = new CartFeed(grains.GetGrain<ICartGrain>(cartId), grains, hub, logger);
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

/// <summary>One cart followed from this node: the observer the cart grain calls, and its lease renewal.</summary>
internal sealed class CartFeed : ICartObserver, IAsyncDisposable
{
    private readonly ICartGrain _cart;
    private readonly IGrainFactory _grains;
    private readonly IHubContext<CartHub, ICartClient> _hub;
    private readonly ILogger _logger;
    private readonly ICartObserver _reference;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _renewals;

    public CartFeed(ICartGrain cart, IGrainFactory grains, IHubContext<CartHub, ICartClient> hub, ILogger logger)
    {
        _cart = cart;
        _grains = grains;
        _hub = hub;
        _logger = logger;
        _reference = grains.CreateObjectReference<ICartObserver>(this);
        Subscribed = cart.Subscribe(_reference);
        _renewals = RenewLease();
    }

    /// <summary>Connections of this node following the cart (guarded by the feeds' lock).</summary>
    public HashSet<string> Connections { get; } = new(StringComparer.Ordinal);

    public Task Subscribed { get; }

    public Task CartChanged(CartView cart) => _hub.Clients.Group(CartFeeds.Group(cart.CartId)).CartChanged(cart);

    private async Task RenewLease()
    {
        using var timer = new PeriodicTimer(CartFeeds.LeaseRenewal);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await _cart.Subscribe(_reference);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "Renewing a cart subscription failed; trying again in {Period}", CartFeeds.LeaseRenewal);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _renewals;
        try
        {
            await _cart.Unsubscribe(_reference);
        }
        catch (Exception e)
        {
            // The lease runs out on its own.
            _logger.LogDebug(e, "Unsubscribing from a cart failed");
        }
        _grains.DeleteObjectReference(_reference);
        _stopping.Dispose();
    }
}
