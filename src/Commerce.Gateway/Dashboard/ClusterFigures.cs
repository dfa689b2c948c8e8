using Commerce.Runtime.Telemetry;

namespace Commerce.Gateway.Dashboard;

/// <summary>The cluster-wide figures of one sample: what the grains, storage and reminders did since the previous one.</summary>
public sealed record ClusterSample(
    IReadOnlyList<SiloView> Silos,
    IReadOnlyList<GrainTypeView> GrainTypes,
    IReadOnlyList<MethodView> Methods,
    StorageView Storage,
    RemindersView Reminders,
    IReadOnlyList<RecentErrorView> RecentErrors);

/// <summary>
/// Turns successive readings of every silo's cumulative counters into figures for the interval
/// between a silo's two latest snapshots (about a second): rates, and the mean and p99 latency of
/// the calls and storage operations in it, from the difference of the latency histograms. Silos add
/// up: their histograms are merged, so a cluster p99 is a p99 of every silo's calls. The first
/// sample of a silo (or one that restarted: a new start time) covers its whole life instead.
/// Reminder tardiness stays since start: reminders tick too rarely for a second's worth to mean anything.
/// </summary>
public sealed class ClusterFigures
{
    private const int RecentErrorsShown = 30;
    private Dictionary<string, SiloSnapshot> _previous = new(StringComparer.Ordinal);

    public ClusterSample Next(IReadOnlyList<SiloReading> readings)
    {
        var current = new Dictionary<string, SiloSnapshot>(StringComparer.Ordinal);
        var silos = new List<SiloView>();
        var methods = new List<MethodSample>();
        var grainTypes = new List<(string Silo, GrainTypeSnapshot Type)>();
        var storage = new List<(SiloSnapshot Snapshot, double Reads, double Writes, LatencySnapshot ReadLatency, LatencySnapshot WriteLatency)>();
        var reminderTicks = 0.0;
        foreach (var reading in readings)
        {
            if (reading.Snapshot is not { } now)
            {
                silos.Add(Unreachable(reading));
                continue;
            }
            current[reading.SiloId] = now;
            var before = _previous.GetValueOrDefault(reading.SiloId) is { } p && p.StartedAt == now.StartedAt && p.TakenAt < now.TakenAt ? p : null;
            var seconds = before is null ? 0 : (now.TakenAt - before.TakenAt).TotalSeconds;
            var earlierMethods = before?.Methods.ToDictionary(m => (m.GrainType, m.Method));
            var siloCalls = 0.0;
            foreach (var method in now.Methods)
            {
                var earlier = earlierMethods?.GetValueOrDefault((method.GrainType, method.Method));
                var calls = Rate(method.Calls, earlier?.Calls ?? 0, seconds);
                methods.Add(new MethodSample(reading.SiloId, method, calls, Rate(method.Failures, earlier?.Failures ?? 0, seconds), method.Latency.Since(earlier?.Latency)));
                siloCalls += calls;
            }
            grainTypes.AddRange(now.GrainTypes.Select(t => (reading.SiloId, t)));
            storage.Add((now, Rate(now.Storage.Reads.Count, before?.Storage.Reads.Count ?? 0, seconds), Rate(now.Storage.Writes.Count, before?.Storage.Writes.Count ?? 0, seconds),
                now.Storage.Reads.Since(before?.Storage.Reads), now.Storage.Writes.Since(before?.Storage.Writes)));
            reminderTicks += Rate(now.Reminders.Ticks, before?.Reminders.Ticks ?? 0, seconds);
            silos.Add(new SiloView(reading.SiloId, reading.Member?.Address ?? "local", reading.Member?.HttpPort, reading.Member?.Status ?? "Active",
                reading.Member?.StartedAt ?? now.StartedAt, true, now.UptimeSeconds,
                before is null ? null : Rate(now.CpuSeconds, before.CpuSeconds, seconds) * 100,
                now.WorkingSetBytes, now.Activations, now.Cluster?.PartitionCount, siloCalls, null));
        }
        _previous = current;
        var snapshots = current.Values.ToList();
        var reads = LatencySnapshot.Combine(storage.Select(s => s.ReadLatency));
        var writes = LatencySnapshot.Combine(storage.Select(s => s.WriteLatency));
        var tardiness = LatencySnapshot.Combine(snapshots.Select(s => s.Reminders.Tardiness));
        return new ClusterSample(
            silos,
            GrainTypesOf(grainTypes, methods),
            [.. methods.GroupBy(m => (m.Method.GrainType, m.Method.Method)).Select(g =>
                {
                    var latency = LatencySnapshot.Combine(g.Select(m => m.Latency));
                    return new MethodView(
                        g.Key.GrainType, g.Key.Method, g.Sum(m => m.CallsPerSecond), g.Sum(m => m.FailuresPerSecond),
                        g.Sum(m => m.Method.Calls), g.Sum(m => m.Method.Failures), g.Sum(m => m.Method.Timeouts), latency.MeanMs, latency.P99Ms);
                })
                .OrderByDescending(m => m.CallsPerSecond).ThenByDescending(m => m.Calls)],
            new StorageView(
                storage.Sum(s => s.Reads), storage.Sum(s => s.Writes), reads.MeanMs, reads.P99Ms, writes.MeanMs, writes.P99Ms,
                snapshots.Sum(s => s.Storage.WriteFailures), snapshots.Sum(s => s.Storage.Conflicts)),
            new RemindersView(null, null, reminderTicks, snapshots.Sum(s => s.Reminders.Ticks), snapshots.Sum(s => s.Reminders.Failures),
                tardiness.MeanMs, tardiness.P99Ms),
            [.. current.SelectMany(s => (s.Value.RecentFailures ?? []).Select(f => new RecentErrorView(f.At, s.Key, f.GrainType, f.Method, f.ExceptionType, f.Message)))
                .OrderByDescending(e => e.At).Take(RecentErrorsShown)]);
    }

    /// <summary>Grain types with live activations or calls; the others are registered but idle.</summary>
    private static List<GrainTypeView> GrainTypesOf(List<(string Silo, GrainTypeSnapshot Type)> grainTypes, List<MethodSample> methods)
    {
        var names = grainTypes.Select(t => t.Type.GrainType).Concat(methods.Select(m => m.Method.GrainType)).Distinct(StringComparer.Ordinal);
        var views = new List<GrainTypeView>();
        foreach (var name in names)
        {
            var types = grainTypes.Where(t => t.Type.GrainType == name).ToList();
            var calls = methods.Where(m => m.Method.GrainType == name).ToList();
            var activations = types.Sum(t => t.Type.Activations);
            if (activations == 0 && calls.Count == 0)
            {
                continue;
            }
            var perSilo = types.Select(t => t.Silo).Concat(calls.Select(c => c.Silo)).Distinct(StringComparer.Ordinal)
                .Select(silo => new SiloShare(silo, types.Where(t => t.Silo == silo).Sum(t => t.Type.Activations), calls.Where(c => c.Silo == silo).Sum(c => c.CallsPerSecond)))
                .OrderBy(s => s.SiloId, StringComparer.Ordinal)
                .ToList();
            var latency = LatencySnapshot.Combine(calls.Select(c => c.Latency));
            views.Add(new GrainTypeView(name, activations, calls.Sum(c => c.CallsPerSecond), calls.Sum(c => c.FailuresPerSecond),
                calls.Sum(c => c.Method.Calls), calls.Sum(c => c.Method.Failures), latency.MeanMs, latency.P99Ms, perSilo));
        }
        return [.. views.OrderByDescending(v => v.CallsPerSecond).ThenByDescending(v => v.Activations).ThenBy(v => v.GrainType, StringComparer.Ordinal)];
    }

    private static SiloView Unreachable(SiloReading reading) =>
        new(reading.SiloId, reading.Member?.Address ?? "?", reading.Member?.HttpPort, reading.Member?.Status ?? "Unknown", reading.Member?.StartedAt,
            false, null, null, null, null, null, null, reading.Problem);

    private static double Rate(double now, double before, double seconds) =>
        seconds <= 0 ? 0 : Math.Max(0, now - before) / seconds;

    /// <summary>One method on one silo over the interval: <paramref name="Latency"/> covers the interval's calls only.</summary>
    private sealed record MethodSample(string Silo, MethodSnapshot Method, double CallsPerSecond, double FailuresPerSecond, LatencySnapshot Latency);
}
