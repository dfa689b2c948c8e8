using System.Reflection;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Grains;

public static class CommerceGrains
{
    /// <summary>The assembly holding the grain classes, for the silo's list of grain assemblies.</summary>
    public static Assembly Assembly => typeof(CommerceGrains).Assembly;

    /// <summary>
    /// What the grains inject: their options, bound from <c>Commerce:Inventory</c> and
    /// <c>Commerce:FlashSales</c> (environment: <c>Commerce__FlashSales__TickInterval</c>, ...), and the clock.
    /// </summary>
    public static IServiceCollection AddCommerceGrains(this IServiceCollection services)
    {
        services.AddOptions<InventoryOptions>().BindConfiguration("Commerce:Inventory");
        services.AddOptions<FlashSaleOptions>().BindConfiguration("Commerce:FlashSales");
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
