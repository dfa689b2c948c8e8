using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using Commerce.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Commerce.Hosting;

/// <summary>
/// The one place that says how a process takes part in the Orleans cluster: as a silo (grains,
/// reminders and membership on PostgreSQL) or as a cluster client (a gateway without grains, the
/// CLI, a benchmark). Both read <c>Commerce:Postgres:ConnectionString</c> and <see cref="ClusterSettings"/>.
/// </summary>
public static class CommerceCluster
{
    /// <summary>The ADO.NET invariant Orleans' providers use to reach PostgreSQL.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>The migration component of Orleans' own tables (membership, reminders, streams, OrleansQuery).</summary>
    public const string MigrationComponent = "orleans";

    public static string ConnectionString(IConfiguration configuration) =>
        configuration["Commerce:Postgres:ConnectionString"]
        ?? throw new InvalidOperationException("Set Commerce:Postgres:ConnectionString (environment: Commerce__Postgres__ConnectionString); deploy/run does this for you.");

    public static ClusterSettings Settings(IConfiguration configuration) =>
        configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();

    /// <summary>
    /// A silo: Orleans' ADO.NET clustering on PostgreSQL with membership and call timeouts tuned for
    /// fast failover (or a lone loopback silo when <see cref="ClusterSettings.Enabled"/> is false), and
    /// everything of <see cref="UseCommercePostgres"/>.
    /// </summary>
    public static ISiloBuilder AddCommerceSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        var settings = Settings(configuration);
        silo.UseCommercePostgres(connectionString);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        if (settings.Enabled)
        {
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = IPAddress.Parse(settings.AdvertisedAddress);
                o.SiloPort = PortOrFree(settings.SiloPort);
                o.GatewayPort = PortOrFree(settings.GatewayPort);
                // Listen on every interface of the machine; peers dial the advertised address.
                o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, o.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, o.GatewayPort);
            });
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
        }
        else
        {
            silo.UseLocalhostClustering(PortOrFree(0), PortOrFree(0), serviceId: settings.ServiceId, clusterId: settings.ClusterId);
        }
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = settings.ProbeTimeout;
            o.NumMissedProbesLimit = settings.MissedProbesLimit;
            o.NumVotesForDeathDeclaration = settings.VotesForDeathDeclaration;
            o.IAmAliveTablePublishTimeout = settings.HeartbeatPeriod;
            o.MaxProbeTimeout = settings.MaxProbeTimeout;
            o.TableRefreshTimeout = settings.MembershipRefreshPeriod;
        });
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = settings.ResponseTimeout);
        // Trace context crosses grain calls only when traces are exported: the filters cost every call.
        if (Telemetry.OtlpEndpoint(configuration) is not null)
        {
            silo.AddActivityPropagation();
        }
        // Commerce:Reminders:MinimumReminderPeriod: tests run reminders on sub-second periods.
        silo.Services.Configure<ReminderOptions>(configuration.GetSection("Commerce:Reminders"));
        // Commerce:Storage:CrossGrainCommits (default true), MaxBatchRows, MaxBatchesInFlight.
        silo.Services.Configure<StateCommitterOptions>(configuration.GetSection(StateCommitterOptions.Section));
        return silo;
    }

    /// <summary>
    /// What a silo keeps in PostgreSQL, whatever its clustering: grain state in the project's tables,
    /// Orleans' ADO.NET reminders, the catalog-change stream (<see cref="CatalogStream"/>), and their
    /// schema (migrated before the silo starts); plus the dashboards' data collection. Orleans' test host uses this alone.
    /// </summary>
    public static ISiloBuilder UseCommercePostgres(this ISiloBuilder silo, string connectionString)
    {
        RegisterNpgsql();
        silo.Services.AddPostgres(connectionString);
        silo.Services.AddPostgresMigrations(typeof(CommerceCluster).Assembly, MigrationComponent);
        silo.Services.AddGrainStatePersistence();
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.AddCatalogStream(connectionString);
        silo.AddDashboard();
        silo.AddSiloTelemetry();
        return silo;
    }

    /// <summary>
    /// A cluster client: finds the silos' gateways in PostgreSQL and calls grains there. For processes
    /// that scale HTTP apart from the silos, and for tools.
    /// </summary>
    public static IClientBuilder AddCommerceClient(this IClientBuilder client, IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        var settings = Settings(configuration);
        RegisterNpgsql();
        client.Services.AddPostgres(connectionString);
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        client.AddCatalogStream(connectionString);
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = settings.ResponseTimeout);
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = settings.GatewayListRefreshPeriod);
        if (Telemetry.OtlpEndpoint(configuration) is not null)
        {
            client.AddActivityPropagation();
        }
        client.AddDashboard();
        return client;
    }

    /// <summary>Orleans' ADO.NET providers look the invariant up in <see cref="DbProviderFactories"/>.</summary>
    private static void RegisterNpgsql() => DbProviderFactories.RegisterFactory(Invariant, NpgsqlFactory.Instance);

    private static int PortOrFree(int port)
    {
        if (port != 0)
        {
            return port;
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
