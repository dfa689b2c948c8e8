using System.Collections.Concurrent;
using Commerce.Catalog;
using Commerce.Grains;
using Commerce.Grains.Carts;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Runtime;
using Commerce.Runtime.PostgreSql;
using Commerce.Runtime.Testing;
using Commerce.Testing.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Commerce.Cluster.Tests;

/// <summary>
/// The shop's promise under a real crash: two silo processes run checkouts (carts, order sagas,
/// inventory, payments against the built-in gateway) and one is killed with SIGKILL in the middle.
/// No flushing, no hand-off: whatever it had not committed is gone, and its sagas, holds and
/// reminders move to the survivor.
/// </summary>
public sealed class CheckoutKillTests(ITestOutputHelper output)
{
    private const int Customers = 120;
    private const int Workers = 8;
    private const int Stock = 200;
    private const decimal Price = 30m;

    private static readonly ShippingAddress Address = new("Ada Lovelace", "1 Analytical St", null, "Berlin", "10115", "DE");
    private static readonly CardOnFile Visa = new("pm_card_visa", "visa", "4242");
    private static readonly CardOnFile Declined = new("pm_card_chargeDeclined", "visa", "0002");

    /// <summary>Sagas resume from their reminder within seconds instead of the default minute.</summary>
    private static readonly Dictionary<string, string> QuickSagas = new()
    {
        ["Commerce__Silo__MinimumReminderPeriod"] = "00:00:01",
        ["Commerce__Orders__SagaRetryInterval"] = "00:00:01",
    };

    [Fact]
    public async Task Killing_a_silo_mid_checkout_loses_no_order_charges_no_one_twice_and_leaves_nothing_held()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var survivor = await SiloProcess.StartAsync(database.ConnectionString, "checkout-survivor", [], settings: QuickSagas);
        await using var victim = await SiloProcess.StartAsync(database.ConnectionString, "checkout-victim", [], settings: QuickSagas);
        await ClusterHarness.WaitForBalanceAsync(database.DataSource, 2);
        await using var client = await TestCluster.StartAsync(options => options.ConfigureServices = services =>
            services.AddPostgresClusterClient(database.ConnectionString, cluster => cluster.RoutingRefreshInterval = TimeSpan.FromMilliseconds(500), CommerceGrains.Assembly), silo: false);
        var grains = client.GrainFactory;

        // One SKU, living on the silo that will die; every customer's cart holds one unit of it.
        var sku = await ClusterHarness.KeyOwnedByAsync(database.DataSource, "SkuInventory", victim, "sku");
        var catalog = new CatalogStore(database.DataSource);
        await catalog.UpsertProduct(new ProductDraft("p-" + sku, "Product " + sku, "", null, true));
        await catalog.UpsertSku(new SkuDraft(sku, "p-" + sku, "Item " + sku, new Dictionary<string, string>(), new Money(Price, "EUR"), true, null));
        Assert.True((await grains.GetGrain<ISkuInventoryGrain>(sku).Receive(new ReceiveStock("main", Stock, "test"))).Succeeded);
        var customers = Enumerable.Range(0, Customers).Select(i => $"customer-{i:D2}").ToList();
        foreach (var customer in customers)
        {
            Assert.True((await grains.GetGrain<ICartGrain>(customer).Add(sku, 1)).Succeeded);
        }

        // Every fourth customer's card is declined. Eight storefront workers check customers out one
        // after another; a checkout that gets no answer is sent again with the same key, as a storefront
        // would. The kill comes once a quarter have answered, with sagas in flight on both silos.
        PlaceOrder Checkout(int i) => new(customers[i], "body", "standard", "DE", Address, i % 4 == 3 ? Declined : Visa);
        var answered = new ConcurrentDictionary<string, PlaceOrderResult>();
        var unanswered = 0;
        var quarterAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var next = -1;
        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < Customers; i = Interlocked.Increment(ref next))
            {
                var order = grains.GetGrain<IOrderGrain>(OrderId(i));
                answered[OrderId(i)] = await Eventually.Answered(() => order.Place(Checkout(i)), _ => Interlocked.Increment(ref unanswered));
                if (answered.Count >= Customers / 4)
                {
                    quarterAnswered.TrySetResult();
                }
            }
        })).ToList();
        await quarterAnswered.Task.WaitAsync(ClusterHarness.Patience);
        var inFlight = Customers - answered.Count;
        await victim.KillAsync();
        await Task.WhenAll(workers);
        output.WriteLine($"killed with {inFlight} checkouts not answered yet; {unanswered} calls got no answer and were sent again");

        // Every saga finishes: the survivor resumes the victim's from their reminders.
        var orders = new Dictionary<string, OrderView>();
        foreach (var orderId in Enumerable.Range(0, Customers).Select(OrderId))
        {
            orders[orderId] = await Settled(grains.GetGrain<IOrderGrain>(orderId));
        }
        foreach (var (orderId, result) in answered.Where(a => a.Value.Succeeded))
        {
            Assert.Equal(OrderStatus.Confirmed, orders[orderId].Status); // an order answered as placed stays placed
        }

        var confirmed = orders.Values.Where(o => o.Status == OrderStatus.Confirmed).ToList();
        Assert.All(orders.Values, o => Assert.Contains(o.Status, new[] { OrderStatus.Confirmed, OrderStatus.Cancelled }));
        Assert.Equal(Customers - Customers / 4, confirmed.Count); // every good card paid, every declined one cancelled
        var charges = await GatewayCharges(database.DataSource);
        foreach (var order in orders.Values)
        {
            var mine = charges.GetValueOrDefault(order.OrderId) ?? [];
            if (order.Status == OrderStatus.Confirmed)
            {
                var charge = Assert.Single(mine);
                Assert.Equal(("Captured", order.Total.Amount, order.Total.Amount), (charge.Status, charge.Amount, charge.Captured));
            }
            else
            {
                Assert.All(mine, c => Assert.True(c.Status is "Voided" or "Declined" || c.Captured == 0, $"{order.OrderId} was charged: {c}"));
            }
        }
        var inventory = grains.GetGrain<ISkuInventoryGrain>(sku);
        var stock = (await Eventually.Answered(inventory.GetStock))!;
        Assert.Equal((Stock - confirmed.Count, 0), (stock.OnHand, stock.Reserved));
        Assert.Empty(await inventory.GetHolds());
    }

    private static string OrderId(int customer) => $"order-{customer:D2}";

    private static async Task<OrderView> Settled(IOrderGrain order)
    {
        OrderView? view = null;
        await Eventually.True(async () => (view = await Eventually.Answered(order.Get)) is { InProgress: false });
        return view!;
    }

    /// <summary>The built-in payment gateway's own books, by order.</summary>
    private static async Task<Dictionary<string, List<(string Status, decimal Amount, decimal Captured)>>> GatewayCharges(NpgsqlDataSource database)
    {
        var charges = new Dictionary<string, List<(string, decimal, decimal)>>();
        await using var command = database.CreateCommand("SELECT reference, status, amount, captured FROM test_gateway_charges");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var reference = reader.GetString(0);
            if (!charges.TryGetValue(reference, out var list))
            {
                charges[reference] = list = [];
            }
            list.Add((reader.GetString(1), reader.GetDecimal(2), reader.GetDecimal(3)));
        }
        return charges;
    }
}
