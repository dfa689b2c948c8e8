using Commerce.Runtime.Activations;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.Messaging;
using Commerce.Runtime.Reminders;
using Commerce.Runtime.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Runtime;

/// <summary>
/// The parts of one runtime process, wired together once; activations reach everything through it.
/// A silo alone has no cluster parts. A clustered silo adds membership, partition ownership, a
/// routing table and connections. A cluster client has the routing and connections but owns no
/// partition: every grain call leaves the process.
/// </summary>
internal sealed class SiloRuntime
{
    public SiloRuntime(IServiceProvider services, GrainRegistry registry, IOptions<SiloOptions> options, RuntimeMetrics metrics, ILogger<SiloRuntime> logger)
    {
        Services = services;
        Registry = registry;
        Options = options.Value;
        Metrics = metrics;
        Logger = logger;
        Catalog = new Catalog(this);
        Dispatcher = new GrainCallDispatcher(this);
        GrainFactory = new GrainFactory(this);
        Reminders = new ReminderService(this);
        WireSerializer = new WireSerializer(registry, Dispatcher);

        var cluster = services.GetService<IOptions<ClusterOptions>>()?.Value;
        var leases = services.GetService<IPartitionLeaseTable>();
        if (cluster is null || leases is null)
        {
            return;
        }
        ClusterOptions = cluster;
        Connections = new ConnectionRegistry(this, cluster);
        Routing = new RoutingTable(leases, cluster, logger);
        Messenger = new RemoteMessenger(this, Routing, Connections);
        if (services.GetService<IMembershipTable>() is { } membershipTable && services.GetService<ClusterClientMarker>() is null)
        {
            Membership = new ClusterMembership(membershipTable, Connections, cluster, logger);
            Ownership = new PartitionOwnership(this, leases, Membership, cluster, logger);
        }
        else
        {
            LocalEndpoint = "client-" + Guid.NewGuid().ToString("N");
        }
    }

    public IServiceProvider Services { get; }

    public GrainRegistry Registry { get; }

    public SiloOptions Options { get; }

    public RuntimeMetrics Metrics { get; }

    public ILogger Logger { get; }

    public Catalog Catalog { get; }

    public GrainCallDispatcher Dispatcher { get; }

    public IGrainFactory GrainFactory { get; }

    public ReminderService Reminders { get; }

    public WireSerializer WireSerializer { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    // ---- Cluster parts: null when this silo runs alone -------------------------------------------

    public ClusterOptions? ClusterOptions { get; }

    public ConnectionRegistry? Connections { get; }

    public RoutingTable? Routing { get; }

    public RemoteMessenger? Messenger { get; }

    public ClusterMembership? Membership { get; }

    public PartitionOwnership? Ownership { get; }

    /// <summary>This process's endpoint id: the silo id (changes when it rejoins) or a client id.</summary>
    public string LocalEndpoint
    {
        get => Membership?.SiloId ?? _clientEndpoint ?? "local";
        private init => _clientEndpoint = value;
    }

    private readonly string? _clientEndpoint;
}

/// <summary>Registered by a cluster client's container: the runtime then joins no membership and owns no partition.</summary>
internal sealed class ClusterClientMarker;
