using System.Collections.Concurrent;
using Commerce.Runtime.Activations;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Reminders;

/// <summary>
/// Durable reminders: registrations go to the reminder table; a loop polls it for due entries and
/// delivers each as a call to the grain's ReceiveReminder, activating the grain if needed. After a
/// successful delivery a periodic reminder moves to its next due time (missed ticks are not
/// replayed) and a one-shot reminder is removed; a failed delivery is retried with backoff.
/// </summary>
internal sealed class ReminderService(SiloRuntime runtime)
{
    private readonly ConcurrentDictionary<(GrainId Grain, string Name), byte> _delivering = new();
    private readonly ConcurrentDictionary<(GrainId Grain, string Name), (int Attempts, DateTimeOffset RetryAt)> _backoff = new();
    private IReminderTable? _table;

    private IReminderTable Table => _table ??= runtime.Services.GetService<IReminderTable>()
        ?? throw new InvalidOperationException("Reminders need a reminder table: register one (e.g. AddPostgresProviders or AddInMemoryReminderTable).");

    public bool Enabled => runtime.Services.GetService<IReminderTable>() is not null;

    public async Task RegisterAsync(Activation activation, string name, TimeSpan dueTime, TimeSpan? period)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!activation.Info.ImplementsRemindable)
        {
            throw new InvalidOperationException($"{activation.Info.ClassType.Name} registers reminders but does not implement IRemindable.");
        }
        if (dueTime < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), "A reminder cannot be due in the past.");
        }
        if (period is { } p && p < runtime.Options.MinimumReminderPeriod)
        {
            throw new ArgumentOutOfRangeException(nameof(period),
                $"A reminder period must be at least {runtime.Options.MinimumReminderPeriod} (SiloOptions.MinimumReminderPeriod); use a grain timer for shorter ones.");
        }
        var due = DateTimeOffset.UtcNow + dueTime;
        await Table.UpsertAsync(new ReminderEntry(activation.GrainId, name, due, period, due), activation.Fence, CancellationToken.None);
        _backoff.TryRemove((activation.GrainId, name), out _);
    }

    public Task<bool> UnregisterAsync(Activation activation, string name) =>
        Table.RemoveAsync(activation.GrainId, name, activation.Fence, CancellationToken.None);

    public Task<IReadOnlyList<ReminderEntry>> ListAsync(GrainId grainId) => Table.ReadForGrainAsync(grainId, CancellationToken.None);

    /// <summary>The polling loop; runs until the silo stops.</summary>
    public Task RunAsync(CancellationToken stopping) =>
        BackgroundLoop.RunAsync(runtime.Options.ReminderPollInterval, PollOnceAsync, runtime.Logger, "Polling the reminder table", stopping);

    private async Task PollOnceAsync(CancellationToken stopping)
    {
        var now = DateTimeOffset.UtcNow;
        // A clustered silo delivers the reminders of the partitions it owns, and only those.
        var partitions = runtime.Ownership?.OwnedPartitions;
        if (partitions is { Count: 0 })
        {
            return;
        }
        foreach (var entry in await Table.ReadDueAsync(now, partitions, stopping))
        {
            var key = (entry.GrainId, entry.Name);
            if (_backoff.TryGetValue(key, out var backoff) && backoff.RetryAt > now)
            {
                continue;
            }
            if (_delivering.TryAdd(key, 0))
            {
                _ = DeliverAsync(entry, stopping);
            }
        }
    }

    private async Task DeliverAsync(ReminderEntry entry, CancellationToken stopping)
    {
        var key = (entry.GrainId, entry.Name);
        try
        {
            var now = DateTimeOffset.UtcNow;
            var request = new ReceiveReminderRequest(entry.Name, new TickStatus(entry.FirstDueAt, entry.Period, entry.DueAt))
            {
                Target = entry.GrainId,
                SentTimestamp = System.Diagnostics.Stopwatch.GetTimestamp(),
                DeadlineTicks = Environment.TickCount64 + (long)runtime.Options.CallTimeout.TotalMilliseconds,
            };
            runtime.Dispatcher.Route(request);
            await request.AsTask();
            runtime.Metrics.ReminderDelivered(now - entry.DueAt);
            await AfterDeliveryAsync(entry, stopping);
            _backoff.TryRemove(key, out _);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            runtime.Metrics.ReminderFailed();
            var attempts = _backoff.TryGetValue(key, out var previous) ? previous.Attempts + 1 : 1;
            var delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, attempts - 1)));
            _backoff[key] = (attempts, DateTimeOffset.UtcNow + delay);
            runtime.Logger.LogWarning(e, "Reminder {Reminder} of {Grain} failed (attempt {Attempts}); retrying in {Delay}", entry.Name, entry.GrainId, attempts, delay);
        }
        catch (Exception)
        {
            // Stopping: the reminder stays due in the table and is delivered after restart.
        }
        finally
        {
            _delivering.TryRemove(key, out _);
        }
    }

    /// <summary>Moves the reminder on, unless the grain re-registered it during the tick (then its new schedule stands).</summary>
    private async Task AfterDeliveryAsync(ReminderEntry delivered, CancellationToken stopping)
    {
        StorageFence? fence = null;
        if (runtime.Ownership is { } ownership)
        {
            if (!ownership.TryGetFence(PartitionMap.PartitionOf(delivered.GrainId), out var held))
            {
                return; // The partition moved during delivery: its new owner carries on.
            }
            fence = held;
        }
        var current = await Table.ReadAsync(delivered.GrainId, delivered.Name, stopping);
        if (current is null || current.DueAt != delivered.DueAt || current.Period != delivered.Period)
        {
            return;
        }
        if (delivered.Period is not { } period)
        {
            await Table.RemoveAsync(delivered.GrainId, delivered.Name, fence, stopping);
            return;
        }
        var next = delivered.DueAt + period;
        var now = DateTimeOffset.UtcNow;
        if (next <= now)
        {
            var missed = (long)Math.Ceiling((now - next) / period);
            next += period * Math.Max(1, missed);
        }
        await Table.AdvanceAsync(delivered.GrainId, delivered.Name, next, fence, stopping);
    }
}
