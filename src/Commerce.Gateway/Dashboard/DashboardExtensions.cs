using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Gateway.Dashboard;

public static class DashboardExtensions
{
    /// <summary>The dashboard's sampler and sources. Registering another <see cref="IOrderFigures"/> first replaces the order figures read from storage.</summary>
    public static IServiceCollection AddOperatorDashboard(this IServiceCollection services)
    {
        services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IOrderFigures, StoredOrderFigures>();
        services.AddSingleton<DashboardAssets>();
        services.AddSingleton<DashboardViewers>();
        services.AddSingleton<ReminderSchedule>();
        services.AddSingleton<FlashSaleWatch>();
        services.AddSingleton<InventoryActivity>();
        services.AddSingleton<DashboardSampler>();
        services.AddHostedService(provider => provider.GetRequiredService<DashboardSampler>());
        return services;
    }
}
