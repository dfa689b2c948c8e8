using Orleans;
using Orleans.Runtime;

namespace Commerce.Grains;

internal static class Reminders
{
    /// <summary>Removes the grain's reminder of that name, if it has one.</summary>
    public static async Task UnregisterReminder(this Grain grain, string reminderName)
    {
        if (await grain.GetReminder(reminderName) is { } reminder)
        {
            await grain.UnregisterReminder(reminder);
        }
    }
}
