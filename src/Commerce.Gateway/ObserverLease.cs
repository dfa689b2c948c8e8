using Orleans;
using Microsoft.Extensions.Logging;

namespace Commerce.Gateway;

/// <summary>
/// A grain observer subscription a gateway node holds for its SignalR connections: subscribed at once,
/// renewed every <see cref="Renewal"/> (a grain forgets an observer after two minutes without one, and
/// a grain reactivated after a restart learns of it again), and on dispose unsubscribed — best effort,
/// the lease runs out anyway — with its object reference deleted. The node disposes its leases when
/// it stops, before its silo or cluster client does (<see cref="GatewayFeeds"/>), so neither a renewal
/// nor the unsubscription ever calls a stopped runtime.
/// </summary>
internal sealed class ObserverLease<TObserver> : IAsyncDisposable where TObserver : class, IGrainObserver
{
    public static readonly TimeSpan Renewal = TimeSpan.FromSeconds(30);

    private readonly IGrainFactory _grains;
    private readonly TObserver _reference;
    private readonly Func<TObserver, Task> _subscribe;
    private readonly Func<TObserver, Task> _unsubscribe;
    private readonly ILogger _logger;
    private readonly string _grainName;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _renewals;
    private readonly Lazy<Task> _disposal;

    /// <param name="grainName">The observed grain, for log messages ("cart c-42").</param>
    public ObserverLease(IGrainFactory grains, TObserver observer, Func<TObserver, Task> subscribe, Func<TObserver, Task> unsubscribe, ILogger logger, string grainName)
    {
        _grains = grains;
        _subscribe = subscribe;
        _unsubscribe = unsubscribe;
        _logger = logger;
        _grainName = grainName;
        _reference = grains.CreateObjectReference<TObserver>(observer);
        _disposal = new Lazy<Task>(DisposeOnceAsync);
        Subscribed = subscribe(_reference);
        _renewals = RenewAsync();
    }

    /// <summary>Completes once the grain has taken the first subscription.</summary>
    public Task Subscribed { get; }

    private async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(Renewal);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await _subscribe(_reference);
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    _logger.LogWarning(e, "Renewing the subscription to {Grain} failed; trying again in {Period}", _grainName, Renewal);
                }
                catch (Exception)
                {
                    // Disposed while renewing: the unsubscription that follows is what counts.
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Stops renewing, unsubscribes and deletes the reference, once however often it is called.</summary>
    public ValueTask DisposeAsync() => new(_disposal.Value);

    private async Task DisposeOnceAsync()
    {
        await _stopping.CancelAsync();
        await _renewals;
        try
        {
            await _unsubscribe(_reference);
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Unsubscribing from {Grain} failed; its lease runs out on its own", _grainName);
        }
        _grains.DeleteObjectReference<TObserver>(_reference);
        _stopping.Dispose();
    }
}
