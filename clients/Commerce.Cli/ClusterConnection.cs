using Commerce.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Commerce.Cli;

/// <summary>
/// Stock lives in the SKU inventory grains, sales in their grains, and the search index follows the catalog-change
/// stream: the commands reach them through the running cluster, as an Orleans client like any gateway.
/// </summary>
internal static class ClusterConnection
{
    /// <summary>A started client host; the cluster's settings (Commerce__Cluster__ClusterId, ...) come from the environment, the database as given.</summary>
    public static async Task<IHost> Start(string connectionString, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Postgres:ConnectionString"] = connectionString });
        builder.UseOrleansClient(client => client.AddCommerceClient(builder.Configuration));
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
