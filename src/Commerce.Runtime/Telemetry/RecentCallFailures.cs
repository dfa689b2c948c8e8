namespace Commerce.Runtime.Telemetry;

/// <summary>One grain call that failed or timed out, as the dashboard lists it.</summary>
public sealed record CallFailureSnapshot(DateTimeOffset At, string GrainType, string Method, string ExceptionType, string Message);

/// <summary>
/// The last <see cref="Capacity"/> failed grain calls of this silo, newest first when read. Recording
/// is one interlocked increment and one array store, and happens only when a call fails: successful
/// calls pay nothing. Concurrent writers may overwrite each other's slot under a failure storm,
/// which only loses entries that were about to be pushed out anyway.
/// </summary>
internal sealed class RecentCallFailures
{
    public const int Capacity = 64;

    private readonly CallFailureSnapshot?[] _ring = new CallFailureSnapshot?[Capacity];
    private long _written;

    public void Record(string grainType, string method, Exception? failure)
    {
        var entry = new CallFailureSnapshot(DateTimeOffset.UtcNow, grainType, method,
            failure?.GetType().Name ?? "Exception", failure?.Message ?? "The call failed.");
        var slot = (Interlocked.Increment(ref _written) - 1) % Capacity;
        Volatile.Write(ref _ring[slot], entry);
    }

    public IReadOnlyList<CallFailureSnapshot> Snapshot()
    {
        var entries = new List<CallFailureSnapshot>(Capacity);
        for (var i = 0; i < _ring.Length; i++)
        {
            if (Volatile.Read(ref _ring[i]) is { } entry)
            {
                entries.Add(entry);
            }
        }
        entries.Sort((a, b) => b.At.CompareTo(a.At));
        return entries;
    }
}
