using Commerce.Catalog;
using Commerce.Grains.Carts;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Grains.Payments;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Grains.Tests;

/// <summary>A silo with a small catalog, stock and shoppers: the pieces every cart and checkout test needs.</summary>
internal sealed class Shop(TestSilo silo, PostgresDatabaseFixture database)
{
    public static readonly ShippingAddress Address = new("Ada Lovelace", "1 Analytical St", null, "Berlin", "10115", "DE");

    public static readonly CardOnFile Visa = new("pm_card_visa", "visa", "4242");
    public static readonly CardOnFile Declined = new("pm_card_chargeDeclined", "visa", "0002");
    public static readonly CardOnFile InsufficientFunds = new("pm_card_chargeDeclinedInsufficientFunds", "visa", "9995");
    public static readonly CardOnFile AuthenticationRequired = new("pm_card_authenticationRequired", "visa", "3155");

    public TestSilo Silo { get; set; } = silo;

    /// <param name="more">Further registrations before the grains' own (another payment gateway).</param>
    public static async Task<Shop> Open(PostgresDatabaseFixture database, OrderSagaInterceptor? interceptor = null, TimeProvider? clock = null, Action<FlashSaleOptions>? sales = null,
        Action<IServiceCollection>? more = null)
    {
        var silo = await Silos.Start(database.ConnectionString, sales, services =>
        {
            more?.Invoke(services);
            if (interceptor is not null)
            {
                services.AddSingleton(interceptor);
            }
            if (clock is not null)
            {
                services.AddKeyedSingleton(CommerceGrains.Clock, clock);
            }
            services.Configure<OrderOptions>(o => o.SagaRetryInterval = TimeSpan.FromMilliseconds(200));
        });
        return new Shop(silo, database);
    }

    public CatalogStore Catalog => Silo.Services.GetRequiredService<CatalogStore>();

    /// <summary>A new active SKU at <paramref name="price"/> EUR with <paramref name="stock"/> units in one warehouse.</summary>
    public async Task<string> Sku(decimal price, int stock, int? purchaseLimit = null)
    {
        var code = await CatalogSku(Silo, price: price, purchaseLimit: purchaseLimit);
        if (stock > 0)
        {
            Assert.True((await Inventory(code).Receive(new ReceiveStock("main", stock, "test"))).Succeeded);
        }
        return code;
    }

    /// <summary>
    /// A new active SKU of its own product in the catalog, with no stock yet: inventory exists only for SKUs
    /// in the catalog. Returns its inventory grain's key, prefixed <paramref name="prefix"/>.
    /// </summary>
    public static async Task<string> CatalogSku(TestSilo silo, string prefix = "sku", decimal price = 10m, int? purchaseLimit = null)
    {
        var code = Silos.NewKey(prefix);
        var catalog = silo.Services.GetRequiredService<CatalogStore>();
        await catalog.UpsertProduct(new ProductDraft("p-" + code, "Product " + code, "", null, true));
        await catalog.UpsertSku(new SkuDraft(code, "p-" + code, "Item " + code, new Dictionary<string, string> { ["size"] = "M" }, new Money(price, "EUR"), true, purchaseLimit), "test:shop");
        return code;
    }

    public Task SetPrice(string sku, decimal price, bool active = true) =>
        Catalog.UpsertSku(new SkuDraft(sku, "p-" + sku, "Item " + sku, new Dictionary<string, string> { ["size"] = "M" }, new Money(price, "EUR"), active, null), "test:shop");

    public ISkuInventoryGrain Inventory(string sku) => Silo.GrainFactory.GetGrain<ISkuInventoryGrain>(sku);

    public ICartGrain Cart(string customer) => Silo.GrainFactory.GetGrain<ICartGrain>(customer);

    public IOrderGrain Order(string orderId) => Silo.GrainFactory.GetGrain<IOrderGrain>(orderId);

    public IPaymentGrain PaymentOf(string orderId) => Silo.GrainFactory.GetGrain<IPaymentGrain>("pay_" + orderId);

    /// <summary>A customer whose cart holds <paramref name="quantity"/> of <paramref name="sku"/>.</summary>
    public async Task<string> CustomerWith(string sku, int quantity)
    {
        var customer = Silos.NewKey("cus");
        Assert.True((await Cart(customer).Add(sku, quantity)).Succeeded);
        return customer;
    }

    public static PlaceOrder Checkout(string customer, CardOnFile? card = null, string fingerprint = "body-1") =>
        new(customer, fingerprint, "standard", "DE", Address, card ?? Visa);

    /// <summary>The built-in gateway's own books: charges made for an order, by status.</summary>
    public async Task<List<(string Status, decimal Amount, decimal Captured, decimal Refunded)>> GatewayCharges(string orderId)
    {
        await using var command = database.DataSource.CreateCommand("SELECT status, amount, captured, refunded FROM test_gateway_charges WHERE reference = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = orderId });
        var charges = new List<(string, decimal, decimal, decimal)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            charges.Add((reader.GetString(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3)));
        }
        return charges;
    }

    /// <summary>Waits until the order's saga has nothing left to do (its reminder finishes interrupted runs).</summary>
    public Task<OrderView> Settled(string orderId) =>
        Eventually.Value(() => Order(orderId).Get(), order => order is { InProgress: false })!;

    /// <summary>The promise of the saga: placed and paid with the stock sold, or cancelled with nothing held and nothing charged.</summary>
    public async Task AssertConsistent(string orderId, string sku, int quantity, int stockBefore)
    {
        var order = await Settled(orderId);
        var stock = (await Inventory(sku).GetStock())!;
        Assert.Empty(await Inventory(sku).GetHolds());
        var charges = await GatewayCharges(orderId);
        if (order.Status == OrderStatus.Confirmed)
        {
            Assert.Equal(stockBefore - quantity, stock.OnHand);
            var charge = Assert.Single(charges);
            Assert.Equal(("Captured", order.Total.Amount, order.Total.Amount, 0m), charge);
            Assert.Equal(PaymentStatus.Captured, (await PaymentOf(orderId).Get())!.Status);
        }
        else
        {
            Assert.Equal(OrderStatus.Cancelled, order.Status);
            Assert.Equal(stockBefore, stock.OnHand);
            Assert.All(charges, c => Assert.True(c.Status == "Voided" || c.Captured == c.Refunded, $"charge left {c}"));
        }
    }
}
