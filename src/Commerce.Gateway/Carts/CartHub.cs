using Commerce.Gateway.Identity;
using Commerce.Grains.Carts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Commerce.Gateway.Carts;

/// <summary>What the cart hub pushes: the whole cart after every committed change, with its version (newer wins).</summary>
public interface ICartClient
{
    Task CartChanged(CartView cart);
}

/// <summary>
/// <c>/hubs/cart</c>: every device of a customer connects with the customer's bearer token and is
/// pushed the cart whenever any device (or checkout) changes it. The cart is always the caller's
/// own: the hub takes no cart id.
/// </summary>
[Authorize(Policy = GatewayIdentity.CustomerPolicy)]
internal sealed class CartHub(CartFeeds feeds) : Hub<ICartClient>
{
    /// <summary>Starts the pushes and returns the cart as it is now.</summary>
    public Task<CartView> Follow() => feeds.Follow(Context.User!.CustomerId(), Context.ConnectionId);

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        await feeds.Disconnected(Context.ConnectionId);
        await base.OnDisconnectedAsync(exception);
    }
}
