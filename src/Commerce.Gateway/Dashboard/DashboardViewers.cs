namespace Commerce.Gateway.Dashboard;

/// <summary>Whether an operator is looking at the dashboard: sampling runs only while someone is.</summary>
public sealed class DashboardViewers(TimeProvider clock)
{
    private readonly SemaphoreSlim _arrived = new(0, 1);
    private long _lastSeenTicks;

    public void Seen()
    {
        Volatile.Write(ref _lastSeenTicks, clock.GetUtcNow().UtcTicks);
        lock (_arrived)
        {
            if (_arrived.CurrentCount == 0)
            {
                _arrived.Release();
            }
        }
    }

    public bool WatchedWithin(TimeSpan window) =>
        clock.GetUtcNow().UtcTicks - Volatile.Read(ref _lastSeenTicks) <= window.Ticks;

    /// <summary>Completes when an operator asks for the dashboard (or has asked since the last wait).</summary>
    public Task WaitForViewerAsync(CancellationToken cancellationToken) => _arrived.WaitAsync(cancellationToken);
}
