namespace Commerce.Runtime;

public enum DeactivationReasonCode
{
    /// <summary>Idle for longer than its collection age.</summary>
    ActivationIdle,

    /// <summary>The grain called DeactivateOnIdle.</summary>
    ApplicationRequested,

    /// <summary>The silo is shutting down.</summary>
    ShuttingDown,

    /// <summary>A state write failed, so memory may no longer match storage; the next call reloads.</summary>
    StateWriteFailed,

    /// <summary>The grain's partition moved to another silo (membership changed, or the lease was lost).</summary>
    PartitionMoved,
}

/// <summary>Why an activation is being deactivated, passed to OnDeactivateAsync.</summary>
public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description)
{
    public override string ToString() => $"{Code}: {Description}";
}
