using Commerce.Hosting.SiloTelemetry;

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
/// between a silo's two latest readings (about a second): rates, and the mean and p99 latency of
/// the calls and storage operations in it, from the difference of the latency histograms. Silos add
/// up: their histograms are merged, so a cluster p99 is a p99 of every silo's calls. The first
/// reading of a silo covers its whole life instead (and has no rates); a restarted silo is a new
/// silo (Orleans gives it a new generation).
/// </summary>
public sealed class ClusterFigures
{
    private const int RecentErrorsShown = 30;

    /// <summary>Reminder ticks are calls of this method (<c>IRemindable.ReceiveReminder</c>) on the grain that registered the reminder.</summary>
    private const string ReminderTickMethod = "ReceiveReminder";

    /// <summary>Orleans keeps dead silos in its membership table for days; the dashboard lists one this long after its last heartbeat.</summary>
    public static readonly TimeSpan DeadSilosListedFor = TimeSpan.FromMinutes(10);

    private Dictionary<string, SiloTelemetrySnapshot> _previous = new(StringComparer.Ordinal);

    public ClusterSample Next(ClusterTelemetry cluster)
    {
        var current = new Dictionary<string, SiloTelemetrySnapshot>(StringComparer.Ordinal);
        var silos = new List<SiloView>();
        var methods = new List<MethodSample>();
        var activations = new List<(string Silo, GrainTypeActivations Type)>();
        var storage = new List<StorageSample>();
        var errors = new List<RecentErrorView>();
        foreach (var reading in cluster.Silos.Where(r => r.Member.Status != "Dead" || cluster.TakenAt - r.Member.LastHeartbeat <= DeadSilosListedFor))
        {
            var member = reading.Member;
            var uptime = Math.Max(0, (cluster.TakenAt - member.StartedAt).TotalSeconds);
            if (reading.Telemetry is not { } now || reading.Runtime is not { } runtime)
            {
                silos.Add(new SiloView(member.SiloId, member.Name, member.Address, member.Status, member.StartedAt, false, uptime,
                    null, null, null, null, null, reading.Problem));
                continue;
            }
            current[member.SiloId] = now;
            var before = _previous.GetValueOrDefault(member.SiloId) is { } p && p.TakenAt < now.TakenAt ? p : null;
            var seconds = before is null ? 0 : (now.TakenAt - before.TakenAt).TotalSeconds;
            var earlierMethods = before?.Methods.ToDictionary(m => (m.GrainType, m.Method));
            var siloCalls = 0.0;
            foreach (var method in now.Methods)
            {
                var earlier = earlierMethods?.GetValueOrDefault((method.GrainType, method.Method));
                var sample = new MethodSample(member.SiloId, method, Rate(method.Calls, earlier?.Calls ?? 0, seconds),
                    Rate(method.Failures, earlier?.Failures ?? 0, seconds), method.Latency.Since(earlier?.Latency));
                methods.Add(sample);
                siloCalls += sample.CallsPerSecond;
            }
            activations.AddRange(reading.Activations.Select(a => (member.SiloId, a)));
            storage.Add(new StorageSample(
                Rate(now.Storage.Reads.Count, before?.Storage.Reads.Count ?? 0, seconds),
                Rate(now.Storage.Writes.Count, before?.Storage.Writes.Count ?? 0, seconds),
                now.Storage.Reads.Since(before?.Storage.Reads),
                now.Storage.Writes.Since(before?.Storage.Writes),
                now.Storage.CallersAnswered - (before?.Storage.CallersAnswered ?? 0),
                now.Storage));
            errors.AddRange(now.RecentFailures.Select(f => new RecentErrorView(f.At, member.SiloId, f.GrainType, f.Method, f.ExceptionType, f.Message)));
            silos.Add(new SiloView(member.SiloId, member.Name, member.Address, member.Status, member.StartedAt, true, uptime,
                runtime.CpuPercent, runtime.MemoryBytes, runtime.Activations, runtime.Clients, siloCalls,
                runtime.Overloaded ? "overloaded: Orleans sheds load" : null));
        }
        _previous = current;
        var reads = LatencyDistribution.Combine(storage.Select(s => s.ReadLatency));
        var writes = LatencyDistribution.Combine(storage.Select(s => s.WriteLatency));
        var reminderTicks = methods.Where(m => m.Method.Method == ReminderTickMethod).ToList();
        return new ClusterSample(
            [.. silos.OrderBy(s => s.Address, StringComparer.Ordinal).ThenBy(s => s.Generation)],
            GrainTypesOf(activations, methods),
            [.. methods.GroupBy(m => (m.Method.GrainType, m.Method.Method)).Select(g =>
                {
                    var latency = LatencyDistribution.Combine(g.Select(m => m.Latency));
                    return new MethodView(g.Key.GrainType, g.Key.Method, g.Sum(m => m.CallsPerSecond), g.Sum(m => m.FailuresPerSecond),
                        g.Sum(m => m.Method.Calls), g.Sum(m => m.Method.Failures), latency.MeanMs, latency.P99Ms);
                })
                .OrderByDescending(m => m.CallsPerSecond).ThenByDescending(m => m.Calls)],
            new StorageView(
                storage.Sum(s => s.ReadsPerSecond), storage.Sum(s => s.WritesPerSecond), reads.MeanMs, reads.P99Ms, writes.MeanMs, writes.P99Ms,
                writes.Count == 0 ? 0 : (double)storage.Sum(s => s.CallersAnswered) / writes.Count,
                storage.Sum(s => s.Totals.WriteFailures), storage.Sum(s => s.Totals.Conflicts)),
            new RemindersView(null, null, reminderTicks.Sum(m => m.CallsPerSecond), reminderTicks.Sum(m => m.Method.Calls), reminderTicks.Sum(m => m.Method.Failures)),
            [.. errors.OrderByDescending(e => e.At).Take(RecentErrorsShown)]);
    }

    /// <summary>Grain types with live activations or calls; the others are registered but idle.</summary>
    private static List<GrainTypeView> GrainTypesOf(List<(string Silo, GrainTypeActivations Type)> activations, List<MethodSample> methods)
    {
        var names = activations.Select(a => a.Type.GrainType).Concat(methods.Select(m => m.Method.GrainType)).Distinct(StringComparer.Ordinal);
        var views = new List<GrainTypeView>();
        foreach (var name in names)
        {
            var types = activations.Where(a => a.Type.GrainType == name).ToList();
            var calls = methods.Where(m => m.Method.GrainType == name).ToList();
            var activationCount = types.Sum(t => t.Type.Activations);
            if (activationCount == 0 && calls.Count == 0)
            {
                continue;
            }
            var perSilo = types.Select(t => t.Silo).Concat(calls.Select(c => c.Silo)).Distinct(StringComparer.Ordinal)
                .Select(silo => new SiloShare(silo, types.Where(t => t.Silo == silo).Sum(t => t.Type.Activations), calls.Where(c => c.Silo == silo).Sum(c => c.CallsPerSecond)))
                .OrderBy(s => s.SiloId, StringComparer.Ordinal)
                .ToList();
            var latency = LatencyDistribution.Combine(calls.Select(c => c.Latency));
            views.Add(new GrainTypeView(name, activationCount, calls.Sum(c => c.CallsPerSecond), calls.Sum(c => c.FailuresPerSecond),
                calls.Sum(c => c.Method.Calls), calls.Sum(c => c.Method.Failures), latency.MeanMs, latency.P99Ms, perSilo));
        }
        return [.. views.OrderByDescending(v => v.CallsPerSecond).ThenByDescending(v => v.Activations).ThenBy(v => v.GrainType, StringComparer.Ordinal)];
    }

    private static double Rate(double now, double before, double seconds) =>
        seconds <= 0 ? 0 : Math.Max(0, now - before) / seconds;

    /// <summary>One method on one silo over the interval: <paramref name="Latency"/> covers the interval's calls only.</summary>
    private sealed record MethodSample(string Silo, MethodTelemetry Method, double CallsPerSecond, double FailuresPerSecond, LatencyDistribution Latency);

    /// <summary>One silo's storage over the interval, with its totals since it started.</summary>
    private sealed record StorageSample(
        double ReadsPerSecond, double WritesPerSecond, LatencyDistribution ReadLatency, LatencyDistribution WriteLatency, long CallersAnswered, StorageTelemetry Totals);
}
