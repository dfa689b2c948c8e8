namespace Commerce.Runtime.Hosting;

/// <summary>How a silo runs its activations. Bound from the <c>Commerce:Silo</c> configuration section.</summary>
public sealed class SiloOptions
{
    /// <summary>A call that has not answered after this long fails with <see cref="GrainCallTimeoutException"/>. Default 30 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An activation idle this long is collected, unless its class says otherwise. Default 15 minutes (as Orleans).</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for. Default 1 minute.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often in-flight calls are checked against their deadline. Default 1 s.</summary>
    public TimeSpan CallTimeoutCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long graceful shutdown waits for activations to deactivate and flush. Default 30 s.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Coalesce state writes requested while an earlier write of the same activation is in flight into
    /// one storage write (group commit). Every caller is still answered only after its write committed.
    /// </summary>
    public bool GroupCommit { get; set; } = true;

    /// <summary>How often the reminder table is polled for due reminders. Default 1 s.</summary>
    public TimeSpan ReminderPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The shortest period a periodic reminder may have. Default 1 minute (reminders are not timers).</summary>
    public TimeSpan MinimumReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Turns an activation runs before yielding its thread to other activations. Default 256.</summary>
    public int TurnsPerQuantum { get; set; } = 256;
}
