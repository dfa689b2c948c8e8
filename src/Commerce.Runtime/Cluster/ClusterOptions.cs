namespace Commerce.Runtime.Cluster;

/// <summary>
/// How a silo takes part in a cluster. Bound from <c>Commerce:Cluster</c>. Defaults follow Orleans
/// (probe every 5 s, 3 missed probes, 2 votes); tests shorten them.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The address other silos and clients connect to. Default 127.0.0.1.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>The TCP port for silo-to-silo and client-to-silo calls. 0 picks a free port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The silo's HTTP port, published in the membership table for operators and tools.</summary>
    public int? HttpPort { get; set; }

    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A probe not answered within this time counts as missed. Default 5 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>Suspicion votes needed to declare a silo dead (fewer when fewer silos can vote).</summary>
    public int VotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How many peers each silo probes.</summary>
    public int ProbedPeers { get; set; } = 3;

    /// <summary>How long a partition lease lasts without renewal. Default 20 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often leases are renewed and the assignment re-balanced. Default 2 s.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the routing table is re-read even without notifications. Default 2 s.</summary>
    public TimeSpan RoutingRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most frames queued toward one peer before senders wait. Default 10,000.</summary>
    public int MaxQueuedFramesPerConnection { get; set; } = 10_000;

    /// <summary>Most calls from one peer executing here at once before its connection stops being read. Default 10,000.</summary>
    public int MaxInboundCallsPerConnection { get; set; } = 10_000;
}
