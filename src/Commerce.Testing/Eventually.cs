namespace Commerce.Testing;

/// <summary>
/// Waiting on a condition, never on time: reads again (every 50 ms) until the condition holds, and
/// fails with what was awaited and the last value seen once the patience runs out.
/// </summary>
public static class Eventually
{
    /// <summary>Long enough for a cluster to notice a dead silo and move its partitions on a busy machine.</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan ReadEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>The first value of <paramref name="read"/> for which <paramref name="done"/> holds.</summary>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <param name="describe">How to show the last value in the failure message (default: its ToString).</param>
    public static async Task<T> Value<T>(Func<Task<T>> read, Func<T, bool> done, string? what = null, TimeSpan? patience = null, Func<T, string>? describe = null)
    {
        var limit = patience ?? DefaultPatience;
        using var timeout = new CancellationTokenSource(limit);
        var last = default(T);
        try
        {
            while (true)
            {
                last = await read();
                if (done(last))
                {
                    return last;
                }
                await Task.Delay(ReadEvery, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            var shown = last is null ? "nothing" : describe?.Invoke(last) ?? last.ToString();
            throw new TimeoutException($"Waited {limit.TotalSeconds:0.#} s for {what ?? "a condition"} in vain; the last value was {shown}.");
        }
    }

    public static Task True(Func<Task<bool>> condition, string? what = null, TimeSpan? patience = null) =>
        Value(condition, holds => holds, what, patience);

    public static Task True(Func<bool> condition, string? what = null, TimeSpan? patience = null) =>
        Value(() => Task.FromResult(condition()), holds => holds, what, patience);

    /// <summary>
    /// The answer of a call made while the cluster may be moving grains (a silo just died): the call is
    /// made again until it answers. Only for calls that are safe to repeat (idempotent by their ids).
    /// </summary>
    /// <param name="failed">Told of every attempt that failed.</param>
    public static async Task<T> Answered<T>(Func<Task<T>> call, Action<Exception>? failed = null, TimeSpan? patience = null)
    {
        var answer = default(T)!;
        await True(async () =>
        {
            try
            {
                answer = await call();
                return true;
            }
            catch (Exception e)
            {
                failed?.Invoke(e);
                return false;
            }
        }, "an answer", patience);
        return answer;
    }
}
