using Commerce.Gateway.Carts;
using Commerce.Gateway.FlashSales;
using Microsoft.Extensions.Hosting;

namespace Commerce.Gateway;

/// <summary>
/// Ends the hubs' grain subscriptions when the node stops, before its silo (or cluster client) stops:
/// a feed left to the service provider's disposal would renew and unsubscribe against a stopped
/// runtime. The host runs every <see cref="IHostedLifecycleService.StoppingAsync"/> before any hosted
/// service's <see cref="IHostedService.StopAsync"/> (Orleans stops the silo in its StopAsync), so this
/// holds whatever order the services were registered in.
/// </summary>
internal sealed class GatewayFeeds(FlashSaleFeeds flashSales, CartFeeds carts) : IHostedLifecycleService
{
    public Task StoppingAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(flashSales.StopAsync(), carts.StopAsync()).WaitAsync(cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
