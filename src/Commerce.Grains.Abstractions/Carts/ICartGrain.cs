using Orleans;
using Orleans.Concurrency;

namespace Commerce.Grains.Carts;

/// <summary>Told about every committed change of the carts it subscribed to. Subscriptions are leases: renew them.</summary>
[Alias("Commerce.ICartObserver")]
public interface ICartObserver : IGrainObserver
{
    [OneWay]
    Task CartChanged(CartView cart);
}

/// <summary>
/// A customer's shopping cart (the grain key is the customer id; a guest's cart is keyed by the
/// anonymous customer id). Lines keep the price seen when added next to the current catalog price;
/// totals are priced on every read. Empty again after 30 days without activity.
/// </summary>
[Alias("Commerce.ICartGrain")]
public interface ICartGrain : IGrainWithStringKey
{
    [ReadOnly]
    Task<CartView> Get();

    /// <summary>Adds units of a SKU (to a line already there, if any); the line's quantity stays within 1..limit.</summary>
    Task<CartResult> Add(string sku, int quantity);

    /// <summary>Sets a line's quantity (1..limit), adding the line if the cart has none: safe to retry.</summary>
    Task<CartResult> SetQuantity(string sku, int quantity);

    Task<CartResult> Remove(string sku);

    /// <summary>Moves a line out of the totals into the saved-for-later list.</summary>
    Task<CartResult> SaveForLater(string sku);

    /// <summary>Moves a saved line back into the cart.</summary>
    Task<CartResult> MoveToCart(string sku);

    /// <summary>Takes the current prices as seen: clears the price-change flags after the customer reviewed them.</summary>
    Task<CartResult> AcceptPriceChanges();

    /// <summary>The shipping method and tax region the cart's totals use.</summary>
    Task<CartResult> ChooseShipping(string method, string? region);

    /// <summary>Moves a guest cart's lines into this one (quantities add up, within limits); the guest cart is emptied. Idempotent per guest cart.</summary>
    Task<CartResult> MergeGuestCart(string guestCartId);

    /// <summary>Guest side of a merge: hands this cart's lines to <paramref name="customerCartId"/> and empties it. A repeat hands over the same lines.</summary>
    Task<IReadOnlyList<CartLine>> HandOver(string customerCartId);

    /// <summary>The lines to order, priced now for <paramref name="method"/> and <paramref name="region"/>, with the cart's flags.</summary>
    Task<CheckoutQuote> Quote(string method, string region);

    /// <summary>Removes what an order bought (the ordered quantities, not lines added since). Idempotent per order.</summary>
    Task RemoveOrdered(string orderId, IReadOnlyList<CartLine> ordered);

    Task Subscribe(ICartObserver observer);

    Task Unsubscribe(ICartObserver observer);
}
