using Commerce.Runtime;

namespace Commerce.Bench;

public interface INoopGrain : IGrainWithStringKey
{
    Task Noop();
}

public sealed class NoopGrain : Grain, INoopGrain
{
    public Task Noop() => Task.CompletedTask;
}

public sealed class HotCounterState
{
    public long Value { get; set; }
}

public interface IHotCounterGrain : IGrainWithStringKey
{
    Task<long> Increment();
}

/// <summary>
/// Reentrant so that increments interleave at the state write: each turn changes memory, then
/// waits for a commit that covers it; concurrent turns share commits (group commit).
/// </summary>
[Reentrant]
public sealed class HotCounterGrain([PersistentState("counter")] IPersistentState<HotCounterState> counter) : Grain, IHotCounterGrain
{
    public async Task<long> Increment()
    {
        var value = ++counter.State.Value;
        await counter.WriteStateAsync();
        return value;
    }
}
