using System.Net;
using Commerce.Runtime.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Messaging;

/// <summary>
/// The silo's TCP listener for calls from other silos and clients: a Kestrel server of its own,
/// whose only endpoint hands each connection to the connection registry (a Kestrel connection
/// handler, no HTTP). Kept apart from the gateway's HTTP server so a silo without a gateway has it too.
/// </summary>
internal sealed class SiloTransport(ConnectionRegistry connections, ClusterOptions options) : IAsyncDisposable
{
    private WebApplication? _server;

    /// <summary>The port actually bound (the configured one, or the one picked for port 0).</summary>
    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, listen => listen.Run(connections.AcceptAsync)));
        _server = builder.Build();
        await _server.StartAsync(cancellationToken);
        var address = _server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }
    }
}
