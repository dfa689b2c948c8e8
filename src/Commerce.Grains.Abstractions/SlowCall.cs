namespace Commerce.Grains;

/// <summary>
/// Calls are answered within the cluster's short response timeout (3 s: a call in flight to a dead
/// silo fails fast and is retried elsewhere). Calls that wait on an outside payment provider, or run
/// a saga that does, get this longer one instead: <c>[ResponseTimeout(SlowCall.Timeout)]</c>.
/// </summary>
public static class SlowCall
{
    public const string Timeout = "00:00:30";
}
