using Commerce.Catalog;
using Commerce.Grains.Inventory;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Microsoft.Extensions.Options;

namespace Commerce.Grains.Carts;

/// <summary>
/// A customer's cart. Not reentrant: a change and the view it returns come from one turn. Prices
/// and availability are read from the catalog and inventory on every view, so a line shows both the
/// price the customer saw and the one they would pay now.
/// </summary>
[GrainType("Cart")]
internal sealed class CartGrain : Grain, ICartGrain, IRemindable
{
    private const string ExpiryReminder = "cart-expiry";
    private const int OrdersRemembered = 50;

    private readonly IPersistentState<CartState> _cart;
    private readonly CatalogStore _catalog;
    private readonly TimeProvider _clock;
    private readonly CartOptions _options;
    private readonly CheckoutOptions _checkout;
    private readonly ObserverSet<ICartObserver> _observers;

    public CartGrain([PersistentState("cart", GrainStorage.Name)] IPersistentState<CartState> cart, CatalogStore catalog, [FromKeyedServices(CommerceGrains.Clock)] TimeProvider clock,
        IOptions<CartOptions> options, IOptions<CheckoutOptions> checkout)
    {
        _cart = cart;
        _catalog = catalog;
        _clock = clock;
        _options = options.Value;
        _checkout = checkout.Value;
        _observers = new ObserverSet<ICartObserver>(clock, _options.ObserverLease);
    }

    private CartState State => _cart.State;

    private string CartId => this.GetPrimaryKeyString();

    /// <summary>Idle past the expiry: the cart reads as empty even before the reminder clears it.</summary>
    private bool Expired => State.Lines.Count > 0 && State.LastActivity + _options.ExpireAfter <= _clock.GetUtcNow();

    private List<CartLine> LiveLines => Expired ? [] : State.Lines;

    public Task<CartView> Get() => View();

    public async Task<CartResult> Add(string sku, int quantity)
    {
        var (catalogSku, refusal) = await Sellable(sku);
        if (refusal is not null)
        {
            return refusal;
        }
        var existing = LiveLines.Find(l => l.Sku == sku);
        var total = (existing?.Quantity ?? 0) + quantity;
        var limit = LimitOf(catalogSku);
        if (quantity < 1 || total > limit)
        {
            return await OutOfRange(limit, existing?.Quantity ?? 0);
        }
        // Adding again brings a saved line back into the cart, at the price shown now.
        return await Change(lines => Replace(lines, sku, new CartLine(sku, total, catalogSku!.Price, SavedForLater: false)));
    }

    /// <summary>Sets a line's quantity, adding the line when the cart has none for the SKU: the idempotent form of adding.</summary>
    public async Task<CartResult> SetQuantity(string sku, int quantity)
    {
        var (catalogSku, refusal) = await Sellable(sku);
        var line = LiveLines.Find(l => l.Sku == sku);
        if (line is null && refusal is not null)
        {
            return refusal;
        }
        var limit = LimitOf(catalogSku);
        if (quantity < 1 || quantity > limit)
        {
            return await OutOfRange(limit, line?.Quantity ?? 0);
        }
        return await Change(lines => Replace(lines, sku, line is null ? new CartLine(sku, quantity, catalogSku!.Price, SavedForLater: false) : line with { Quantity = quantity }));
    }

    public async Task<CartResult> Remove(string sku) =>
        LiveLines.Exists(l => l.Sku == sku) ? await Change(lines => lines.RemoveAll(l => l.Sku == sku)) : await NoSuchLine(sku);

    public Task<CartResult> SaveForLater(string sku) => Flag(sku, savedForLater: true);

    public Task<CartResult> MoveToCart(string sku) => Flag(sku, savedForLater: false);

    private async Task<CartResult> Flag(string sku, bool savedForLater) =>
        LiveLines.Find(l => l.Sku == sku) is { } line
            ? await Change(lines => Replace(lines, sku, line with { SavedForLater = savedForLater }))
            : await NoSuchLine(sku);

    public async Task<CartResult> AcceptPriceChanges()
    {
        var current = await _catalog.GetSkus(LiveLines.Select(l => l.Sku).ToList());
        return await Change(lines =>
        {
            for (var i = 0; i < lines.Count; i++)
            {
                if (current.TryGetValue(lines[i].Sku, out var sku))
                {
                    lines[i] = lines[i] with { PriceSeen = sku.Price };
                }
            }
        });
    }

    public async Task<CartResult> ChooseShipping(string method, string? region)
    {
        if (CheckShipping(method, region) is { } refusal)
        {
            return new CartResult(refusal.Error, await View(), refusal.Message, refusal.Field);
        }
        return await Change(_ =>
        {
            State.ShippingMethod = method.ToLowerInvariant();
            State.Region = region?.ToUpperInvariant();
        });
    }

    public async Task<CartResult> MergeGuestCart(string guestCartId)
    {
        if (guestCartId == CartId || State.MergedGuestCarts.Contains(guestCartId))
        {
            return new CartResult(CartError.None, await View());
        }
        var guestLines = await GrainFactory.GetGrain<ICartGrain>(guestCartId).HandOver(CartId);
        var skus = await _catalog.GetSkus(guestLines.Select(l => l.Sku).ToList());
        return await Change(lines =>
        {
            foreach (var guest in guestLines)
            {
                // Quantities add up, within the SKU's limit; SKUs the catalog no longer sells are dropped.
                if (!skus.TryGetValue(guest.Sku, out var sku))
                {
                    continue;
                }
                var mine = lines.Find(l => l.Sku == guest.Sku);
                var quantity = Math.Min((mine?.Quantity ?? 0) + guest.Quantity, LimitOf(sku));
                Replace(lines, guest.Sku, (mine ?? guest) with { Quantity = quantity, SavedForLater = (mine ?? guest).SavedForLater && guest.SavedForLater });
            }
            State.MergedGuestCarts.Add(guestCartId);
        });
    }

    public async Task<IReadOnlyList<CartLine>> HandOver(string customerCartId)
    {
        if (State.HandedOverTo == customerCartId)
        {
            return State.HandedOver;
        }
        State.HandedOver = [.. LiveLines];
        State.HandedOverTo = customerCartId;
        await Change(lines => lines.Clear());
        return State.HandedOver;
    }

    public async Task<CheckoutQuote> Quote(string method, string region)
    {
        if (CheckShipping(method, region) is { } refusal)
        {
            return new CheckoutQuote([], EmptyTotals(method, region), refusal.Error, refusal.Message, false, false);
        }
        var view = await View(method.ToLowerInvariant(), region.ToUpperInvariant());
        var lines = view.Lines.Select(l => new QuotedLine(l.Sku, l.Title, l.Quantity, l.CurrentPrice ?? l.PriceSeen, l.LineTotal, l.PriceSeen, l.PriceChanged, l.UnavailableReason)).ToList();
        return new CheckoutQuote(lines, view.Totals, CartError.None, null, view.HasPriceChanges, view.HasUnavailableItems);
    }

    public async Task RemoveOrdered(string orderId, IReadOnlyList<CartLine> ordered)
    {
        if (State.OrdersRemoved.Contains(orderId))
        {
            return;
        }
        await Change(lines =>
        {
            foreach (var bought in ordered)
            {
                var index = lines.FindIndex(l => l.Sku == bought.Sku && !l.SavedForLater);
                if (index < 0)
                {
                    continue;
                }
                var left = lines[index].Quantity - bought.Quantity;
                if (left > 0)
                {
                    lines[index] = lines[index] with { Quantity = left };
                }
                else
                {
                    lines.RemoveAt(index);
                }
            }
            State.OrdersRemoved.Add(orderId);
            if (State.OrdersRemoved.Count > OrdersRemembered)
            {
                State.OrdersRemoved.RemoveAt(0);
            }
        });
    }

    public Task Subscribe(ICartObserver observer)
    {
        _observers.Subscribe(observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(ICartObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ExpiryReminder)
        {
            return;
        }
        if (State.Lines.Count == 0 || Expired)
        {
            // Nothing worth keeping: the cart's row goes, and a later visit starts a new cart.
            await _cart.ClearStateAsync();
            _cart.State = new CartState();
            await this.UnregisterReminder(ExpiryReminder);
            return;
        }
        await this.RegisterOrUpdateReminder(ExpiryReminder, State.LastActivity + _options.ExpireAfter - _clock.GetUtcNow(), _options.ExpireAfter);
    }

    /// <summary>Applies a change to the lines (an expired cart starts empty), commits it, and pushes the new cart to observers.</summary>
    private async Task<CartResult> Change(Action<List<CartLine>> change)
    {
        if (Expired)
        {
            State.Lines.Clear();
        }
        change(State.Lines);
        State.LastActivity = _clock.GetUtcNow();
        State.Version++;
        if (!State.ExpiryReminderRegistered && State.Lines.Count > 0)
        {
            await this.RegisterOrUpdateReminder(ExpiryReminder, _options.ExpireAfter, _options.ExpireAfter);
            State.ExpiryReminderRegistered = true;
        }
        await _cart.WriteStateAsync();
        var view = await View();
        _observers.Notify(observer => observer.CartChanged(view));
        return new CartResult(CartError.None, view);
    }

    /// <summary>The SKU when the cart may take it, else the refusal.</summary>
    private async Task<(Sku? Sku, CartResult? Refusal)> Sellable(string code)
    {
        var sku = (await _catalog.GetSkus([code])).GetValueOrDefault(code);
        if (sku is null)
        {
            return (null, new CartResult(CartError.UnknownSku, await View(), $"There is no SKU '{code}'.", "sku"));
        }
        if (!sku.Active)
        {
            return (null, new CartResult(CartError.InactiveSku, await View(), $"SKU '{code}' is not for sale.", "sku"));
        }
        if (!string.Equals(sku.Price.Currency, _checkout.Currency, StringComparison.OrdinalIgnoreCase))
        {
            return (null, new CartResult(CartError.CurrencyNotSold, await View(), $"SKU '{code}' is priced in {sku.Price.Currency}; this store sells in {_checkout.Currency}.", "sku"));
        }
        return (sku, null);
    }

    private int LimitOf(Sku? sku) => sku?.PurchaseLimit ?? _options.MaxQuantityPerLine;

    private async Task<CartResult> OutOfRange(int limit, int inCart) =>
        new(CartError.QuantityOutOfRange, await View(), $"A line holds 1 to {limit} unit(s) of this SKU (the cart has {inCart}).", "quantity");

    private async Task<CartResult> NoSuchLine(string sku) => new(CartError.LineNotFound, await View(), $"The cart has no line for SKU '{sku}'.", "sku");

    private CartResult? CheckShipping(string method, string? region) =>
        _checkout.ShippingRefusal(method, region) is var (error, message, field) ? new(error, null, message, field) : null;

    private static void Replace(List<CartLine> lines, string sku, CartLine line)
    {
        var index = lines.FindIndex(l => l.Sku == sku);
        if (index < 0)
        {
            lines.Add(line);
        }
        else
        {
            lines[index] = line;
        }
    }

    private Task<CartView> View() => View(State.ShippingMethod ?? _checkout.DefaultShippingMethod, State.Region);

    /// <summary>The cart priced now: current catalog prices, availability from inventory, totals for the method and region.</summary>
    private async Task<CartView> View(string method, string? region)
    {
        var lines = LiveLines;
        var skus = await _catalog.GetSkus(lines.Select(l => l.Sku).ToList());
        var stock = await Task.WhenAll(lines.Select(l => GrainFactory.GetGrain<ISkuInventoryGrain>(l.Sku).GetStock()));
        var views = new List<CartLineView>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var sku = skus.GetValueOrDefault(line.Sku);
            var unavailable = sku is null ? "removed-from-catalog"
                : !sku.Active ? "not-for-sale"
                : stock[i] is not { } level || (level.Level == StockLevel.OutOfStock && !level.BackorderAllowed) ? "out-of-stock"
                : null;
            var price = sku?.Price ?? line.PriceSeen;
            views.Add(new CartLineView(line.Sku, sku?.Title ?? line.Sku, line.Quantity, LimitOf(sku), line.PriceSeen, sku?.Price,
                PriceChanged: sku is not null && sku.Price != line.PriceSeen, unavailable is not null, unavailable, price.Times(line.Quantity)));
        }
        var inCart = views.Where((_, i) => !lines[i].SavedForLater).ToList();
        var saved = views.Where((_, i) => lines[i].SavedForLater).ToList();
        var subtotal = inCart.Where(l => !l.Unavailable).Sum(l => l.LineTotal.Amount);
        return new CartView(CartId, State.Version, inCart, saved, _checkout.Totals(subtotal, method, region),
            inCart.Any(l => l.PriceChanged), inCart.Any(l => l.Unavailable), lines.Count > 0 ? State.LastActivity + _options.ExpireAfter : null);
    }

    private CartTotals EmptyTotals(string method, string? region)
    {
        var zero = _checkout.InStoreCurrency(0);
        return new(zero, zero, zero, zero, method, region, 0, null);
    }
}
