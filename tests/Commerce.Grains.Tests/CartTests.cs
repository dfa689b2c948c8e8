using Commerce.Grains.Carts;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Grains.Tests;

/// <summary>A clock the test moves by hand: for rules about days and weeks (cart expiry) without waiting.</summary>
internal sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Cart rules against a real PostgreSQL: lines, limits, price and availability flags, totals, expiry, guest merge.</summary>
public sealed class CartTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Lines_are_added_changed_saved_for_later_moved_back_and_removed()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var shirt = await shop.Sku(20m, 10);
        var mug = await shop.Sku(7.5m, 10);
        var cart = shop.Cart(Silos.NewKey("cus"));

        Assert.Equal(2, (await cart.Add(shirt, 2)).Cart!.Lines.Single().Quantity);
        Assert.Equal(3, (await cart.Add(shirt, 1)).Cart!.Lines.Single().Quantity);
        await cart.SetQuantity(mug, 4);
        var saved = (await cart.SaveForLater(mug)).Cart!;
        Assert.Equal([shirt], saved.Lines.Select(l => l.Sku));
        Assert.Equal([mug], saved.SavedForLater.Select(l => l.Sku));
        Assert.Equal(60m, saved.Totals.Subtotal.Amount);

        var back = (await cart.MoveToCart(mug)).Cart!;
        Assert.Equal(90m, back.Totals.Subtotal.Amount);
        var removed = (await cart.Remove(shirt)).Cart!;
        Assert.Equal([mug], removed.Lines.Select(l => l.Sku));
        Assert.Equal(CartError.LineNotFound, (await cart.Remove(shirt)).Error);
        Assert.True(removed.Version > back.Version);
    }

    [Fact]
    public async Task Unknown_and_inactive_skus_and_quantities_outside_1_to_the_limit_are_refused_changing_nothing()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var limited = await shop.Sku(5m, 100, purchaseLimit: 3);
        var retired = await shop.Sku(5m, 100);
        await shop.SetPrice(retired, 5m, active: false);
        var cart = shop.Cart(Silos.NewKey("cus"));

        Assert.Equal((CartError.UnknownSku, "sku"), Outcome(await cart.Add("no-such-sku", 1)));
        Assert.Equal((CartError.InactiveSku, "sku"), Outcome(await cart.Add(retired, 1)));
        Assert.Equal((CartError.QuantityOutOfRange, "quantity"), Outcome(await cart.Add(limited, 4)));
        Assert.Equal((CartError.QuantityOutOfRange, "quantity"), Outcome(await cart.Add(limited, 0)));
        await cart.Add(limited, 3);
        Assert.Equal((CartError.QuantityOutOfRange, "quantity"), Outcome(await cart.Add(limited, 1)));
        Assert.Equal((CartError.QuantityOutOfRange, "quantity"), Outcome(await cart.SetQuantity(limited, 4)));
        Assert.Equal(3, (await cart.Get()).Lines.Single().Quantity);
    }

    private static (CartError, string?) Outcome(CartResult result) => (result.Error, result.Field);

    [Fact]
    public async Task A_line_keeps_the_price_seen_and_flags_a_new_price_until_accepted_and_flags_unavailable_skus()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var lamp = await shop.Sku(30m, 5);
        var chair = await shop.Sku(80m, 5);
        var cart = shop.Cart(Silos.NewKey("cus"));
        await cart.Add(lamp, 1);
        await cart.Add(chair, 1);

        await shop.SetPrice(lamp, 35m);
        await shop.SetPrice(chair, 80m, active: false);
        var view = await cart.Get();
        var line = view.Lines.Single(l => l.Sku == lamp);
        Assert.Equal((30m, 35m, true), (line.PriceSeen.Amount, line.CurrentPrice!.Amount, line.PriceChanged));
        Assert.Equal((true, "not-for-sale"), (view.Lines.Single(l => l.Sku == chair).Unavailable, view.Lines.Single(l => l.Sku == chair).UnavailableReason));
        Assert.True(view.HasPriceChanges && view.HasUnavailableItems);
        Assert.Equal(35m, view.Totals.Subtotal.Amount);

        var accepted = (await cart.AcceptPriceChanges()).Cart!;
        Assert.False(accepted.HasPriceChanges);
        Assert.Equal(35m, accepted.Lines.Single(l => l.Sku == lamp).PriceSeen.Amount);

        // Sold out is unavailable too.
        Assert.True((await shop.Inventory(lamp).Adjust(new Inventory.AdjustStock("main", -5, "sold elsewhere", "test"))).Succeeded);
        Assert.Equal("out-of-stock", (await cart.Get()).Lines.Single(l => l.Sku == lamp).UnavailableReason);
    }

    [Theory]
    [InlineData("standard", "DE", 40.00, 4.95, 8.54)]   // below the free-shipping threshold: (40 + 4.95) × 19 %
    [InlineData("standard", "DE", 50.00, 0, 9.50)]      // free from 50
    [InlineData("express", "US-CA", 100.00, 9.95, 7.97)] // (100 + 9.95) × 7.25 % = 7.971...
    [InlineData("next-day", "US-OR", 500.00, 19.95, 0)]  // never free; no sales tax
    public async Task Totals_add_shipping_by_method_and_threshold_and_tax_by_region(string method, string region, decimal subtotal, decimal shipping, decimal tax)
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var sku = await shop.Sku(subtotal / 2, 10);
        var cart = shop.Cart(Silos.NewKey("cus"));
        await cart.Add(sku, 2);

        var totals = (await cart.ChooseShipping(method, region)).Cart!.Totals;
        Assert.Equal((subtotal, shipping, tax, subtotal + shipping + tax, "EUR"), (totals.Subtotal.Amount, totals.Shipping.Amount, totals.Tax.Amount, totals.Total.Amount, totals.Total.Currency));
        Assert.Equal(CartError.UnknownRegion, (await cart.ChooseShipping("standard", "XX")).Error);
        Assert.Equal(CartError.UnknownShippingMethod, (await cart.ChooseShipping("by-pigeon", "DE")).Error);
    }

    [Fact]
    public async Task A_cart_idle_for_30_days_reads_empty_and_an_active_one_does_not()
    {
        var clock = new ManualClock();
        var shop = await Shop.Open(database, clock: clock);
        await using var silo = shop.Silo;
        var sku = await shop.Sku(10m, 10);
        var idle = shop.Cart(Silos.NewKey("cus"));
        var active = shop.Cart(Silos.NewKey("cus"));
        await idle.Add(sku, 1);
        await active.Add(sku, 1);

        clock.Now += TimeSpan.FromDays(29);
        await active.Add(sku, 1);
        Assert.Single((await idle.Get()).Lines);
        clock.Now += TimeSpan.FromDays(2);

        Assert.Empty((await idle.Get()).Lines);
        Assert.Equal(2, (await active.Get()).Lines.Single().Quantity);
        // A change after expiry starts from an empty cart.
        Assert.Equal(1, (await idle.Add(sku, 1)).Cart!.Lines.Single().Quantity);
    }

    [Fact]
    public async Task The_expiry_reminder_removes_an_idle_cart_from_storage_also_after_a_restart()
    {
        var shop = await Shop.Open(database);
        var sku = await shop.Sku(10m, 10);
        await shop.Silo.DisposeAsync();
        var quick = await Silos.Start(database.ConnectionString, services: s => s.Configure<CartOptions>(o => o.ExpireAfter = TimeSpan.FromMilliseconds(300)));
        var customer = Silos.NewKey("cus");
        await quick.GrainFactory.GetGrain<ICartGrain>(customer).Add(sku, 1);
        await quick.RestartAsync();

        await Eventually.Value(() => database.StoredState<CartState>("Cart", customer, "cart"), state => state is null);
        await quick.DisposeAsync();
    }

    [Fact]
    public async Task Merging_a_guest_cart_adds_quantities_within_limits_once_and_empties_the_guest_cart()
    {
        var shop = await Shop.Open(database);
        await using var silo = shop.Silo;
        var socks = await shop.Sku(5m, 50, purchaseLimit: 5);
        var hat = await shop.Sku(15m, 50);
        var guest = shop.Cart("anon-" + Guid.NewGuid().ToString("N"));
        await guest.Add(socks, 4);
        await guest.Add(hat, 1);
        var customer = Silos.NewKey("cus");
        await shop.Cart(customer).Add(socks, 3);

        var merged = (await shop.Cart(customer).MergeGuestCart(Silos.KeyOf(guest))).Cart!;
        Assert.Equal(5, merged.Lines.Single(l => l.Sku == socks).Quantity);
        Assert.Equal(1, merged.Lines.Single(l => l.Sku == hat).Quantity);
        Assert.Empty((await guest.Get()).Lines);

        // A repeated login merges nothing more.
        var again = (await shop.Cart(customer).MergeGuestCart(Silos.KeyOf(guest))).Cart!;
        Assert.Equal(merged.Lines.Select(l => (l.Sku, l.Quantity)), again.Lines.Select(l => (l.Sku, l.Quantity)));
    }
}
