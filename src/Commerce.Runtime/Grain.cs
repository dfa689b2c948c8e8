using Commerce.Runtime.Activations;
using Commerce.Runtime.Reminders;
using Commerce.Runtime.Timers;

namespace Commerce.Runtime;

/// <summary>
/// Base class of grain implementations. A grain's code runs one turn at a time on its activation
/// (see <see cref="ReentrantAttribute"/> for the exceptions); it may keep state in fields and in
/// injected <see cref="IPersistentState{TState}"/>.
/// </summary>
public abstract class Grain
{
    [ThreadStatic]
    internal static Activation? Constructing;

    private readonly Activation _activation;

    protected Grain()
    {
        _activation = Constructing ?? throw new InvalidOperationException(
            $"{GetType().Name} is a grain: get it with IGrainFactory.GetGrain, never construct it with new.");
    }

    public GrainId GrainId => _activation.GrainId;

    /// <summary>Creates references to other grains; calls made through them carry this grain's call chain.</summary>
    protected IGrainFactory GrainFactory => _activation.Runtime.GrainFactory;

    protected IServiceProvider ServiceProvider => _activation.Runtime.Services;

    /// <summary>The silo this activation lives on (address:port@generation when clustered).</summary>
    protected string RuntimeIdentity => _activation.Runtime.LocalEndpoint;

    public string GetPrimaryKeyString() => GrainId.Key;

    public Guid GetPrimaryKey() => Guid.Parse(GrainId.Key);

    public long GetPrimaryKeyLong() => long.Parse(GrainId.Key, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs after state was read, before the first call is delivered. Throwing discards the activation and fails the calls waiting for it.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs before the activation goes away; pending state writes are flushed after it.</summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivates this activation once its current turns finish; the next call makes a new one.</summary>
    protected void DeactivateOnIdle() => _activation.RequestDeactivateOnIdle();

    /// <summary>Keeps this activation from being collected as idle for at least <paramref name="duration"/>.</summary>
    protected void DelayDeactivation(TimeSpan duration) => _activation.DelayDeactivation(duration);

    /// <summary>A timer whose ticks run as turns of this activation and that dies with it.</summary>
    protected IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options) =>
        new GrainTimer(_activation, cancellation => callback(state, cancellation), options);

    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options) =>
        new GrainTimer(_activation, callback, options);

    /// <summary>
    /// Registers a durable reminder: first due after <paramref name="dueTime"/>, then every
    /// <paramref name="period"/>, or once when the period is null. Survives deactivation and silo
    /// restarts; delivering it activates the grain, which must implement <see cref="IRemindable"/>.
    /// </summary>
    protected Task RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime, TimeSpan? period) =>
        _activation.Runtime.Reminders.RegisterAsync(_activation, reminderName, dueTime, period);

    protected Task<bool> UnregisterReminder(string reminderName) =>
        _activation.Runtime.Reminders.UnregisterAsync(_activation, reminderName);

    protected Task<IReadOnlyList<ReminderEntry>> GetReminders() =>
        _activation.Runtime.Reminders.ListAsync(GrainId);
}
