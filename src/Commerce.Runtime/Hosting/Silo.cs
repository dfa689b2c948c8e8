using Commerce.Runtime.Activations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Hosting;

/// <summary>
/// Runs a silo inside a .NET host: the background loops (reminders, idle collection, call
/// deadlines) while it runs, and on shutdown the deactivation of every activation with its state
/// flushed, so that stopping a silo loses nothing that was acknowledged.
/// </summary>
internal sealed class Silo(SiloRuntime runtime, ILogger<Silo> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (runtime.Reminders.Enabled)
        {
            _loops.Add(runtime.Reminders.RunAsync(_stopping.Token));
        }
        _loops.Add(BackgroundLoop.RunAsync(runtime.Options.CollectionQuantum, CollectIdleActivations, logger, "Idle collection", _stopping.Token));
        _loops.Add(BackgroundLoop.RunAsync(runtime.Options.CallTimeoutCheckInterval, FailExpiredCalls, logger, "Call deadline check", _stopping.Token));
        logger.LogInformation("Silo started with grain types: {GrainTypes}", string.Join(", ", runtime.Registry.GrainTypes));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        var deadline = Task.Delay(runtime.Options.DeactivationTimeout, cancellationToken);
        // Calls rerouted during shutdown may create new activations: repeat until none is left.
        for (var round = 0; round < 10 && runtime.Catalog.Count > 0; round++)
        {
            var activations = runtime.Catalog.All.Where(a => a.Info != GrainClassInfo.Observer).ToList();
            if (activations.Count == 0)
            {
                break;
            }
            foreach (var activation in activations)
            {
                activation.Deactivate(new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is stopping"));
            }
            var all = Task.WhenAll(activations.Select(a => a.Closed));
            if (await Task.WhenAny(all, deadline) == deadline)
            {
                logger.LogWarning("Silo stop timed out with {Count} activations still deactivating", activations.Count(a => !a.IsClosed));
                return;
            }
        }
        logger.LogInformation("Silo stopped; all activations deactivated");
    }

    private Task CollectIdleActivations(CancellationToken stopping)
    {
        var now = Environment.TickCount64;
        foreach (var activation in runtime.Catalog.All)
        {
            if (activation.IsCollectible(now, runtime.Options.CollectionAge))
            {
                activation.Deactivate(new DeactivationReason(DeactivationReasonCode.ActivationIdle, "Idle longer than its collection age"), now);
            }
        }
        return Task.CompletedTask;
    }

    private Task FailExpiredCalls(CancellationToken stopping)
    {
        var now = Environment.TickCount64;
        foreach (var activation in runtime.Catalog.All)
        {
            activation.FailExpiredCalls(now);
        }
        runtime.Connections?.FailExpiredCalls(now);
        return Task.CompletedTask;
    }
}
