using Commerce.Runtime.Invocation;

namespace Commerce.Runtime.Reminders;

/// <summary>The call that delivers a reminder tick: written by hand because IRemindable lives with the runtime.</summary>
internal sealed class ReceiveReminderRequest(string reminderName, TickStatus status) : Request<VoidResult>
{
    private static readonly GrainMethodDescriptor Descriptor = new(
        typeof(IRemindable), nameof(IRemindable.ReceiveReminder), 0, InvokeFlags.None, [typeof(string), typeof(TickStatus)], typeof(VoidResult),
        static arguments => new ReceiveReminderRequest((string)arguments[0]!, (TickStatus)arguments[1]!));

    public override GrainMethodDescriptor Method => Descriptor;

    public override int ArgumentCount => 2;

    public override object? GetArgument(int index) => index switch
    {
        0 => reminderName,
        1 => status,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    protected override ValueTask<VoidResult> InvokeCore(object target) =>
        FromTask(((IRemindable)target).ReceiveReminder(reminderName, status));
}
