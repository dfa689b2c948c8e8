using Commerce.Gateway.Identity;
using Commerce.Grains.FlashSales;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Commerce.Gateway.FlashSales;

/// <summary>What the flash-sale hub pushes to a customer's connection.</summary>
public interface IFlashSaleClient
{
    /// <summary>The customer's place among those still waiting (1 is next).</summary>
    Task Position(string saleId, long position);

    /// <summary>The customer may buy now, with this token, until it expires.</summary>
    Task Admitted(string saleId, PurchaseToken token);

    Task SoldOut(string saleId);

    Task SaleEnded(string saleId, SalePhase phase);
}

/// <summary>
/// <c>/hubs/flash-sale</c>: a signed-in customer subscribes to a sale and is pushed their position as
/// the queue moves, their admission with the purchase token, sold out and the end. The customer is
/// the one in the bearer token (sent as <c>access_token</c> for WebSockets), never one the client names.
/// </summary>
[Authorize(Policy = GatewayIdentity.CustomerPolicy)]
internal sealed class FlashSaleHub : Hub<IFlashSaleClient>
{
    private readonly FlashSaleFeeds _feeds;

    public FlashSaleHub(FlashSaleFeeds feeds) => _feeds = feeds;

    /// <summary>Follows a sale; returns the customer's place now (events from then on are pushed).</summary>
    public async Task<QueueStatus> Subscribe(string saleId)
    {
        if (!Identifiers.IsSlug(saleId))
        {
            throw new HubException($"saleId: {Identifiers.SlugRule}");
        }
        return await _feeds.Follow(saleId, Context.ConnectionId, Context.User!.CustomerId())
            ?? throw new HubException($"There is no flash sale '{saleId}'.");
    }

    public Task Unsubscribe(string saleId)
    {
        _feeds.Unfollow(saleId, Context.ConnectionId);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        _feeds.Disconnected(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}
