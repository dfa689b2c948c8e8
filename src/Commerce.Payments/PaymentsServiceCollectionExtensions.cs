using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Payments;

public static class PaymentsServiceCollectionExtensions
{
    /// <summary>The built-in Stripe-test-mode gateway, unless another <see cref="IPaymentGateway"/> was registered first; needs the PostgreSQL data source.</summary>
    public static IServiceCollection AddTestModePaymentGateway(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPaymentGateway, TestModePaymentGateway>();
        services.AddPostgresMigrations(typeof(TestModePaymentGateway).Assembly, "payments-test-mode");
        return services;
    }
}
