using System.Diagnostics;
using Commerce.Runtime.Reminders;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Runtime.Telemetry;

public sealed record GrainTypeSnapshot(string GrainType, int Activations);

/// <param name="Latency">Every completed call's latency since the silo started (so <c>Latency.Count</c> is <paramref name="Calls"/>).</param>
public sealed record MethodSnapshot(string GrainType, string Method, long Calls, long Failures, long Timeouts, LatencySnapshot Latency);

public sealed record StorageSnapshot(LatencySnapshot Reads, LatencySnapshot Writes, long WriteFailures, long Conflicts);

public sealed record ReminderSnapshot(long Ticks, long Failures, LatencySnapshot Tardiness);

public sealed record MemberSnapshot(string SiloId, string Status, string Address, int SiloPort, int? HttpPort, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeat, int Suspicions);

/// <summary>This silo's view of the cluster: who it is, the partitions it serves, the membership table as it last read it.</summary>
public sealed record ClusterSnapshot(string SiloId, int PartitionCount, IReadOnlyList<int> Partitions, long MembershipVersion, IReadOnlyList<MemberSnapshot> Members, int Connections);

/// <summary>Everything the silo reports about itself at one instant; served as JSON for the dashboard.</summary>
public sealed record SiloSnapshot(
    string Silo,
    DateTimeOffset StartedAt,
    DateTimeOffset TakenAt,
    double UptimeSeconds,
    double CpuSeconds,
    long WorkingSetBytes,
    int Activations,
    long ActivationFailures,
    IReadOnlyList<GrainTypeSnapshot> GrainTypes,
    IReadOnlyList<MethodSnapshot> Methods,
    StorageSnapshot Storage,
    ReminderSnapshot Reminders,
    ClusterSnapshot? Cluster,
    IReadOnlyList<CallFailureSnapshot> RecentFailures);

/// <summary>Builds <see cref="SiloSnapshot"/>s from the runtime's counters; costs nothing until asked.</summary>
public sealed class SiloTelemetry
{
    private readonly SiloRuntime _runtime;

    internal SiloTelemetry(SiloRuntime runtime) => _runtime = runtime;

    public SiloSnapshot Snapshot()
    {
        var metrics = _runtime.Metrics;
        var process = Process.GetCurrentProcess();
        var now = DateTimeOffset.UtcNow;
        return new SiloSnapshot(
            Silo: Environment.MachineName + ":" + Environment.ProcessId,
            StartedAt: _runtime.StartedAt,
            TakenAt: now,
            UptimeSeconds: (now - _runtime.StartedAt).TotalSeconds,
            CpuSeconds: process.TotalProcessorTime.TotalSeconds,
            WorkingSetBytes: process.WorkingSet64,
            Activations: _runtime.Catalog.Count,
            ActivationFailures: Volatile.Read(ref metrics.ActivationFailures),
            GrainTypes: [.. _runtime.Registry.Classes.Select(c => new GrainTypeSnapshot(c.GrainType, Volatile.Read(ref c.ActivationCount))).OrderBy(g => g.GrainType, StringComparer.Ordinal)],
            Methods: [.. MethodStatistics.Snapshot()
                .Select(s => (s, Latency: s.Latency.Snapshot()))
                .Where(x => x.Latency.Count > 0 || Volatile.Read(ref x.s.Timeouts) > 0)
                .Select(x => new MethodSnapshot(x.s.GrainType ?? x.s.Method.InterfaceType.Name, x.s.Method.FullName,
                    x.Latency.Count, Volatile.Read(ref x.s.Failures), Volatile.Read(ref x.s.Timeouts), x.Latency))
                .OrderByDescending(m => m.Calls)],
            Storage: new StorageSnapshot(metrics.StorageReads.Snapshot(), metrics.StorageWrites.Snapshot(),
                Volatile.Read(ref metrics.StorageWriteFailures), Volatile.Read(ref metrics.StorageConflicts)),
            Reminders: new ReminderSnapshot(Volatile.Read(ref metrics.ReminderTicks), Volatile.Read(ref metrics.ReminderFailures), metrics.ReminderTardiness.Snapshot()),
            Cluster: ClusterView(),
            RecentFailures: metrics.RecentFailures.Snapshot());
    }

    /// <summary>
    /// How many reminders the cluster has and when the next is due: one query of the reminder table
    /// (shared by every silo), so ask it every few seconds, not per request. Null without a reminder table.
    /// </summary>
    public async Task<ReminderTableSummary?> ReminderScheduleAsync(CancellationToken cancellationToken) =>
        _runtime.Services.GetService<IReminderTable>() is { } table ? await table.SummarizeAsync(cancellationToken) : null;

    private ClusterSnapshot? ClusterView()
    {
        if (_runtime.Membership is not { } membership || _runtime.Ownership is not { } ownership)
        {
            return null;
        }
        var view = membership.View;
        var partitions = ownership.OwnedPartitions.Order().ToList();
        return new ClusterSnapshot(
            membership.SiloId,
            partitions.Count,
            partitions,
            view.Version,
            [.. view.Silos.Select(s => new MemberSnapshot(s.SiloId, s.Status.ToString(), s.Address, s.SiloPort, s.HttpPort, s.StartedAt, s.LastHeartbeat, s.Suspicions.Count))],
            _runtime.Connections?.All.Count() ?? 0);
    }
}
