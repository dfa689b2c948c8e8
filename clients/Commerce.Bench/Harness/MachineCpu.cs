namespace Commerce.Bench.Harness;

/// <summary>
/// The whole machine's CPU time from /proc/stat (Linux), in clock ticks: what every process on it
/// used, the benchmark's own included. Null where there is no /proc/stat.
/// </summary>
public sealed record MachineCpu(long BusyTicks, long TotalTicks)
{
    public static MachineCpu? Read()
    {
        if (!File.Exists("/proc/stat"))
        {
            return null;
        }
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice": idle and iowait are not busy.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
        var total = fields.Sum();
        return new MachineCpu(total - fields[3] - fields[4], total);
    }

    /// <summary>Busy share of all cores between two readings, in percent.</summary>
    public static double? BusyPercent(MachineCpu? before, MachineCpu? after) =>
        before is null || after is null || after.TotalTicks <= before.TotalTicks
            ? null
            : 100.0 * (after.BusyTicks - before.BusyTicks) / (after.TotalTicks - before.TotalTicks);
}
