namespace Commerce.Runtime.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task A_failing_OnActivateAsync_discards_the_activation_and_the_caller_gets_the_exception()
    {
        await using var silo = await Silos.InMemory();
        var key = "fail-" + Guid.NewGuid();
        var grain = silo.GrainFactory.GetGrain<ILifecycleGrain>(key);
        var first = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.ActivationNumber());
        Assert.Equal($"activation of {key} refused", first.Message);
        // Nothing half-made stayed behind: the next call tries a fresh activation and fails the same way.
        await Assert.ThrowsAsync<InvalidOperationException>(() => grain.ActivationNumber());
        Assert.False(Lifecycle.Activations.ContainsKey(key));
    }

    [Fact]
    public async Task An_idle_grain_is_collected_and_its_OnDeactivateAsync_runs()
    {
        await using var silo = await Silos.InMemory();
        var key = "idle-" + Guid.NewGuid();
        var grain = silo.GrainFactory.GetGrain<ILifecycleGrain>(key);
        Assert.Equal(1, await grain.ActivationNumber());
        var reason = await Lifecycle.DeactivatedTask(key).WaitAsync(Silos.Patience);
        Assert.Equal(DeactivationReasonCode.ActivationIdle, reason.Code);
        Assert.Equal(2, await grain.ActivationNumber());
    }

    [Fact]
    public async Task KeepAlive_and_DelayDeactivation_protect_from_collection()
    {
        await using var silo = await Silos.InMemory(s => s.CollectionAge = TimeSpan.FromMilliseconds(200));
        var suffix = Guid.NewGuid().ToString("N");
        var kept = silo.GrainFactory.GetGrain<IKeepAliveGrain>("kept-" + suffix);
        var delayed = silo.GrainFactory.GetGrain<ILifecycleGrain>("delayed-" + suffix);
        var plain = silo.GrainFactory.GetGrain<ILifecycleGrain>("plain-" + suffix);
        await kept.ActivationNumber();
        await delayed.KeepAliveFor(TimeSpan.FromHours(1));
        await plain.ActivationNumber();
        // The plain one goes first; the others were idle just as long, so they were passed over in the same sweep.
        await Lifecycle.DeactivatedTask("plain-" + suffix).WaitAsync(Silos.Patience);
        Assert.False(Lifecycle.DeactivatedTask("kept-" + suffix).IsCompleted);
        Assert.False(Lifecycle.DeactivatedTask("delayed-" + suffix).IsCompleted);
        Assert.Equal(1, await kept.ActivationNumber());
        Assert.Equal(1, await delayed.ActivationNumber());
    }

    [Fact]
    public async Task DeactivateOnIdle_ends_the_activation_and_the_next_call_makes_a_new_one()
    {
        await using var silo = await Silos.InMemory(s => s.CollectionAge = TimeSpan.FromHours(1));
        var key = "leave-" + Guid.NewGuid();
        var grain = silo.GrainFactory.GetGrain<IKeepAliveGrain>(key);
        Assert.Equal(1, await grain.ActivationNumber());
        await grain.Deactivate();
        var reason = await Lifecycle.DeactivatedTask(key).WaitAsync(Silos.Patience);
        Assert.Equal(DeactivationReasonCode.ApplicationRequested, reason.Code);
        Assert.Equal(2, await grain.ActivationNumber());
    }

    [Fact]
    public async Task Graceful_stop_deactivates_every_activation()
    {
        var silo = await Silos.InMemory(s => s.CollectionAge = TimeSpan.FromHours(1));
        var keys = Enumerable.Range(0, 20).Select(i => $"stop-{i}-{Guid.NewGuid()}").ToList();
        foreach (var key in keys)
        {
            await silo.GrainFactory.GetGrain<IKeepAliveGrain>(key).ActivationNumber();
        }
        await silo.StopAsync();
        foreach (var key in keys)
        {
            Assert.True(Lifecycle.DeactivatedTask(key).IsCompletedSuccessfully, key);
            Assert.Equal(DeactivationReasonCode.ShuttingDown, (await Lifecycle.DeactivatedTask(key)).Code);
        }
    }

    [Fact]
    public async Task Timer_ticks_run_as_turns_and_an_interleaving_timer_ticks_during_a_held_call()
    {
        await using var silo = await Silos.InMemory();
        var key = "timer-" + Guid.NewGuid();
        var grain = silo.GrainFactory.GetGrain<ITimerGrain>(key);
        await grain.Start(TimeSpan.FromMilliseconds(20), interleave: true);
        var held = grain.Hold();
        // Three ticks arrive while Hold() still occupies the non-reentrant grain.
        Assert.Equal(3, await TimerProbe.Signal(key).Task.WaitAsync(Silos.Patience));
        Assert.False(held.IsCompleted);
        Gates.Release(key);
        await held.WaitAsync(Silos.Patience);
    }

    [Fact]
    public async Task A_non_interleaving_timer_waits_for_the_running_call()
    {
        await using var silo = await Silos.InMemory();
        var key = "serial-timer-" + Guid.NewGuid();
        var clockKey = "clock-" + Guid.NewGuid();
        var grain = silo.GrainFactory.GetGrain<ITimerGrain>(key);
        var clock = silo.GrainFactory.GetGrain<ITimerGrain>(clockKey);
        await grain.Start(TimeSpan.FromMilliseconds(10), interleave: false);
        var held = grain.Hold();
        // A twin timer that may interleave proves three periods went by while Hold() ran...
        await clock.Start(TimeSpan.FromMilliseconds(10), interleave: true);
        var clockHeld = clock.Hold();
        await TimerProbe.Signal(clockKey).Task.WaitAsync(Silos.Patience);
        // ...and in that time the serial timer did not tick once.
        Assert.Equal(0, await grain.Ticks());
        Gates.Release(key);
        Gates.Release(clockKey);
        await Task.WhenAll(held, clockHeld);
        Assert.Equal(3, await TimerProbe.Signal(key).Task.WaitAsync(Silos.Patience));
    }
}
