using Commerce.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Payments;

public static class PaymentsServiceCollectionExtensions
{
    /// <summary>The configuration key that chooses the provider: <c>test</c> (the default) or <c>stripe</c>.</summary>
    public const string ProviderKey = "Commerce:Payments:Provider";

    /// <summary>
    /// The payment gateway chosen by <c>Commerce:Payments:Provider</c> (environment
    /// <c>Commerce__Payments__Provider</c>): <c>test</c>, the default, is the built-in Stripe-test-mode
    /// gateway; <c>stripe</c> is <see cref="StripePaymentGateway"/> with <c>Commerce:Payments:Stripe</c>.
    /// Unless another <see cref="IPaymentGateway"/> was registered first; needs the PostgreSQL data source.
    /// </summary>
    public static IServiceCollection AddPaymentGateway(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PaymentProviderHealth>();
        services.AddOptions<StripeOptions>().BindConfiguration("Commerce:Payments:Stripe");
        services.TryAddSingleton<TestModePaymentGateway>();
        services.TryAddSingleton<StripePaymentGateway>();
        services.TryAddSingleton<StripeWebhook>();
        services.TryAddSingleton<IPaymentGateway>(provider => Provider(provider.GetRequiredService<IConfiguration>()) switch
        {
            "stripe" => provider.GetRequiredService<StripePaymentGateway>(),
            _ => provider.GetRequiredService<TestModePaymentGateway>(),
        });
        // The test gateway's books, and the Stripe webhook's record of events (one migration set: the assembly's).
        services.AddPostgresMigrations(typeof(TestModePaymentGateway).Assembly, "payments-test-mode");
        return services;
    }

    /// <summary>The configured provider's name, <c>test</c> or <c>stripe</c>; anything else is a configuration error.</summary>
    public static string Provider(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var provider = configuration[ProviderKey]?.Trim().ToLowerInvariant() is { Length: > 0 } named ? named : "test";
        return provider is "test" or "stripe"
            ? provider
            : throw new InvalidOperationException($"{ProviderKey} is '{provider}'; it is 'test' (the built-in gateway) or 'stripe'.");
    }
}
