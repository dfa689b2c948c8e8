using System.Reflection;
using Commerce.Catalog;
using Commerce.Grains.Carts;
using Commerce.Grains.CatalogChanges;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Grains.Orders;
using Commerce.Orders;
using Commerce.Payments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Grains;

public static class CommerceGrains
{
    /// <summary>The assembly holding the grain classes, for the silo's list of grain assemblies.</summary>
    public static Assembly Assembly => typeof(CommerceGrains).Assembly;

    /// <summary>
    /// The key of the shop's clock (a keyed <see cref="TimeProvider"/>): what holds, tokens, carts and
    /// orders read the time from. Apart from Orleans' own clock, so that a test can move the shop's
    /// time by a day without moving the silo's timeouts.
    /// </summary>
    public const string Clock = "commerce-clock";

    /// <summary>
    /// What the grains inject: their options, bound from <c>Commerce:Inventory</c>, <c>Commerce:FlashSales</c>,
    /// <c>Commerce:Checkout</c>, <c>Commerce:Carts</c> and <c>Commerce:Orders</c> (environment:
    /// <c>Commerce__FlashSales__TickInterval</c>, ...), the shop's clock, the catalog and order index in PostgreSQL,
    /// and the payment gateway (chosen by Commerce:Payments:Provider unless another was registered first).
    /// </summary>
    public static IServiceCollection AddCommerceGrains(this IServiceCollection services)
    {
        services.AddOptions<InventoryOptions>().BindConfiguration("Commerce:Inventory");
        services.AddOptions<FlashSaleOptions>().BindConfiguration("Commerce:FlashSales");
        services.AddOptions<CheckoutOptions>().BindConfiguration("Commerce:Checkout");
        services.AddOptions<CartOptions>().BindConfiguration("Commerce:Carts");
        services.AddOptions<OrderOptions>().BindConfiguration("Commerce:Orders")
            .Validate(o => o.AuthenticationTimeout > TimeSpan.Zero && o.AuthenticationTimeout < o.ReservationHoldFor,
                "Commerce:Orders:AuthenticationTimeout is above zero and below Commerce:Orders:ReservationHoldFor (a checkout waiting for 3-D Secure keeps its stock held).")
            .ValidateOnStart();
        services.TryAddKeyedSingleton(Clock, TimeProvider.System);
        services.TryAddSingleton<OrderSagaInterceptor>();
        services.AddCommerceCatalog();
        services.AddCatalogChangeConsumer();
        services.AddOrderIndex();
        services.AddPaymentGateway();
        return services;
    }
}
