namespace Commerce.Bench.Harness;

/// <summary>
/// A process's CPU time from <c>/proc/&lt;pid&gt;/stat</c> (Linux): user plus system time of all its
/// threads. How the bench reads a silo process's CPU, with nothing asked of the silo. Null where there
/// is no such file (the process is gone, or this is not Linux).
/// </summary>
public static class ProcessCpu
{
    /// <summary>Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux the bench runs on.</summary>
    private const double TicksPerSecond = 100;

    public static TimeSpan? Read(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid ... utime stime ...": comm may hold spaces and parentheses, so count
        // fields from the last ')'. After it, field 3 (state) is index 0; utime (14) and stime (15) are 11 and 12.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return TimeSpan.FromSeconds((long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond);
    }

    /// <summary>CPU used between two readings as a share of one core over <paramref name="elapsed"/>, in percent.</summary>
    public static double? PercentOfOneCore(TimeSpan? before, TimeSpan? after, TimeSpan elapsed) =>
        before is null || after is null || elapsed <= TimeSpan.Zero ? null : (after.Value - before.Value) / elapsed * 100;
}
