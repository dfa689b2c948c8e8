namespace Commerce.Gateway.Dashboard;

/// <summary>
/// Whether an operator is looking at the dashboard, and with which credentials: sampling runs only
/// while someone is, and other silos are asked for their telemetry with the operator's own token.
/// </summary>
public sealed class DashboardViewers(TimeProvider clock)
{
    private readonly SemaphoreSlim _arrived = new(0, 1);
    private long _lastSeenTicks;
    private string? _authorization;

    /// <summary>The Authorization header of the last operator who asked, forwarded to other silos.</summary>
    public string? Authorization => Volatile.Read(ref _authorization);

    public void Seen(string? authorization)
    {
        Volatile.Write(ref _authorization, authorization);
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
