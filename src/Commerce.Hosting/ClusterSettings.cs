namespace Commerce.Hosting;

/// <summary>
/// How a process joins the cluster, bound from <c>Commerce:Cluster</c> (environment
/// <c>Commerce__Cluster__SiloPort</c>, ...). The failover defaults are tuned for a commerce peak:
/// a killed silo is declared dead about two seconds after it stops answering probes (a frozen one,
/// whose connections stay open, after about four); silos then fail their calls in flight to it at
/// once, and a cluster client's call fails after <see cref="ResponseTimeout"/> instead of Orleans'
/// 30 s, so the dead silo's grains answer again from another silo within seconds for every caller.
/// </summary>
public sealed class ClusterSettings
{
    public const string Section = "Commerce:Cluster";

    /// <summary>
    /// True (the default): silos find each other through PostgreSQL (Orleans' ADO.NET clustering),
    /// so adding a silo needs no other change. False: a lone silo on loopback that no other process
    /// can join (parallel test servers in one process).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Silos and clients with the same cluster id form one cluster.</summary>
    public string ClusterId { get; set; } = "commerce";

    /// <summary>Stays the same across deployments: reminders and grain state belong to it.</summary>
    public string ServiceId { get; set; } = "commerce";

    /// <summary>The address other silos and clients reach this silo on.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Silo-to-silo port; 0 picks a free one.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port cluster clients (gateway-only processes, the CLI) connect to; 0 picks a free one.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>How long a silo waits for a peer's answer to a probe. Orleans' default is 5 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a probe may wait once Orleans adapts its timeout, and (times the missed probes) how
    /// long recent traffic on a connection keeps its silo from being voted dead. Orleans' default is
    /// four times <see cref="ProbeTimeout"/>, which kept a frozen silo alive in the table for 8 s.
    /// </summary>
    public TimeSpan MaxProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a silo reads the whole membership table. A silo resumed after it was declared dead
    /// learns it here and stops; Orleans' default of 60 s let one serve stale reads for up to 42 s.
    /// </summary>
    public TimeSpan MembershipRefreshPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Missed probes before a silo votes its peer dead. Orleans' default is 3.</summary>
    public int MissedProbesLimit { get; set; } = 2;

    /// <summary>Votes that declare a silo dead (never more than the other active silos).</summary>
    public int VotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How often a silo writes its heartbeat to the membership table. Orleans' default is 30 s.</summary>
    public TimeSpan HeartbeatPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a grain call waits for its answer (silos and clients); calls that wait on a payment
    /// provider carry a longer one of their own (<c>SlowCall</c>). Orleans' default is 30 s.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often a cluster client refreshes its list of gateways. Orleans' default is 1 min.</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);
}
