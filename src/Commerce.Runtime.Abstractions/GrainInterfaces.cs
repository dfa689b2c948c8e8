namespace Commerce.Runtime;

/// <summary>Anything a grain reference can point at: a grain or an observer.</summary>
public interface IAddressable;

/// <summary>Marker for grain interfaces. Use one of the keyed variants below.</summary>
public interface IGrain : IAddressable;

/// <summary>A grain identified by a string key (a SKU, a cart id).</summary>
public interface IGrainWithStringKey : IGrain;

/// <summary>A grain identified by a <see cref="Guid"/>.</summary>
public interface IGrainWithGuidKey : IGrain;

/// <summary>A grain identified by a 64-bit integer.</summary>
public interface IGrainWithIntegerKey : IGrain;

/// <summary>
/// An object outside the grain's activation (a SignalR hub, a test) that receives notifications.
/// Methods return <see cref="Task"/> or <see cref="ValueTask"/>.
/// </summary>
public interface IGrainObserver : IAddressable;

/// <summary>Implemented by grains that register durable reminders.</summary>
public interface IRemindable : IGrain
{
    Task ReceiveReminder(string reminderName, TickStatus status);
}

/// <summary>What a reminder tick knows about its schedule.</summary>
/// <param name="FirstTickTime">When the reminder was first due.</param>
/// <param name="Period">The period, or null for a one-shot reminder.</param>
/// <param name="CurrentTickTime">When this tick was due.</param>
public readonly record struct TickStatus(DateTimeOffset FirstTickTime, TimeSpan? Period, DateTimeOffset CurrentTickTime);
