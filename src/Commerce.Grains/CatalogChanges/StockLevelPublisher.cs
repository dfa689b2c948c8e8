using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Commerce.Grains.CatalogChanges;

/// <summary>
/// A SKU's available units on the catalog-change stream, kept off the reservation path: the grain reports a
/// committed level with <see cref="Changed"/> (synchronous, never fails) and a grain timer publishes the
/// latest level at most once per interval, so a flash sale's burst of reservations becomes one event per
/// interval. A failed publish is logged and retried on the next tick. A level still pending when the silo
/// dies is lost with it; the grain reports its level again on activation, which heals the index.
/// </summary>
internal sealed class StockLevelPublisher(IGrainBase grain, ICatalogChangeFeed feed, TimeSpan interval, ILogger logger)
{
    private string Sku => grain.GrainContext.GrainId.Key.ToString()!;

    /// <summary>The latest level not yet published (null: nothing to publish).</summary>
    private int? _pending;

    /// <summary>The level last published by this activation (null: none yet).</summary>
    private int? _published;

    /// <summary>Ticks while something is pending; disposed on a tick that finds nothing to do.</summary>
    private IGrainTimer? _timer;

    public void Changed(int available)
    {
        if (_pending is null && available == _published)
        {
            return;
        }
        _pending = available;
        _timer ??= grain.RegisterGrainTimer(_ => Publish(), new GrainTimerCreationOptions(interval, interval) { Interleave = true });
    }

    /// <summary>Publishes what is pending now (deactivation: the level should not wait for the next activation).</summary>
    public Task FlushAsync() => Publish();

    private async Task Publish()
    {
        if (_pending is not { } level)
        {
            _timer?.Dispose();
            _timer = null;
            return;
        }
        _pending = null;
        try
        {
            await feed.StockChangedAsync(Sku, level);
            _published = level;
        }
        catch (Exception e)
        {
            // A newer level may have arrived meanwhile; otherwise try this one again.
            _pending ??= level;
            logger.LogWarning(e, "SKU {Sku} could not publish its stock level {Available} on the catalog-change stream; it tries again", Sku, level);
        }
    }
}
