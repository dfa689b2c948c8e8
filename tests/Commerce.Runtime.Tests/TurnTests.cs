namespace Commerce.Runtime.Tests;

public sealed class TurnTests
{
    [Fact]
    public async Task Concurrent_increments_from_64_tasks_end_at_exactly_10000()
    {
        await using var silo = await Silos.InMemory();
        var counter = silo.GrainFactory.GetGrain<ICounterGrain>("hot");
        var perTask = 10_000 / 64;
        var remainder = 10_000 - perTask * 64;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            var count = perTask + (i < remainder ? 1 : 0);
            for (var n = 0; n < count; n++)
            {
                await counter.Increment();
            }
        })));
        Assert.Equal(10_000, await counter.Get());
    }

    [Fact]
    public async Task All_four_return_shapes_deliver_results()
    {
        await using var silo = await Silos.InMemory();
        var counter = silo.GrainFactory.GetGrain<ICounterGrain>("shapes");
        Assert.Equal(1, await counter.Increment());
        Assert.Equal(6, await counter.Add(5));
        await counter.Reset();
        Assert.Equal(0, await counter.Get());
    }

    [Fact]
    public async Task Non_reentrant_grain_never_interleaves_turns()
    {
        await using var silo = await Silos.InMemory();
        var key = "serial-" + Guid.NewGuid();
        var probe = silo.GrainFactory.GetGrain<IProbeGrain>(key);
        var first = probe.Hold();
        var second = probe.Hold();
        // Entered() interleaves, and the mailbox is FIFO: by the time it runs, the second Hold was
        // either started (interleaving) or parked (serial).
        Assert.Equal(1, await probe.Entered());
        Gates.Release(key);
        await Task.WhenAll(first, second).WaitAsync(Silos.Patience);
        Assert.Equal(2, await probe.Entered());
        Assert.Equal(1, await probe.MaxInside());
    }

    [Fact]
    public async Task Reentrant_grain_interleaves_at_awaits()
    {
        await using var silo = await Silos.InMemory();
        var key = "reentrant-" + Guid.NewGuid();
        var probe = silo.GrainFactory.GetGrain<IReentrantProbeGrain>(key);
        var calls = new[] { probe.Hold(), probe.Hold(), probe.Hold() };
        Assert.Equal(3, await probe.Entered());
        Gates.Release(key);
        await Task.WhenAll(calls).WaitAsync(Silos.Patience);
        Assert.Equal(3, await probe.MaxInside());
    }

    [Fact]
    public async Task Read_only_turns_run_together_but_never_beside_a_writer()
    {
        await using var silo = await Silos.InMemory();
        var key = "readers-" + Guid.NewGuid();
        var probe = silo.GrainFactory.GetGrain<IProbeGrain>(key);
        var readers = new[] { probe.HoldReadOnly(), probe.HoldReadOnly() };
        var writer = probe.Hold();
        var lateReader = probe.HoldReadOnly();
        // Both readers entered together; the writer waits for them, and the reader behind the writer waits too.
        Assert.Equal(2, await probe.Entered());
        Gates.Release(key);
        await Task.WhenAll([.. readers, writer, lateReader]).WaitAsync(Silos.Patience);
        Assert.Equal(4, await probe.Entered());
        Assert.Equal(2, await probe.MaxInside());
    }

    [Fact]
    public async Task Call_cycle_between_non_reentrant_grains_fails_fast_naming_the_cycle()
    {
        await using var silo = await Silos.InMemory();
        var a = silo.GrainFactory.GetGrain<ICyclicGrain>("A");
        var error = await Assert.ThrowsAsync<DeadlockException>(() => a.CallThrough("B", "A").WaitAsync(Silos.Patience));
        Assert.Equal(["CyclicGrain/A", "CyclicGrain/B", "CyclicGrain/A"], error.Cycle.Select(g => g.ToString()));
        Assert.Contains("CyclicGrain/A → CyclicGrain/B → CyclicGrain/A", error.Message);
        // A chain without a cycle goes through.
        Assert.Equal("pong", await a.CallThrough("B", "C"));
    }

    [Fact]
    public async Task A_call_that_does_not_answer_times_out_naming_grain_and_method()
    {
        await using var silo = await Silos.InMemory(s => s.CallTimeout = TimeSpan.FromMilliseconds(300));
        var key = "slow-" + Guid.NewGuid();
        var slow = silo.GrainFactory.GetGrain<ISlowGrain>(key);
        var error = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => slow.WaitForGate().WaitAsync(Silos.Patience));
        Assert.Contains($"SlowGrain/{key}", error.Message);
        Assert.Contains("WaitForGate", error.Message);
        Gates.Release(key);
    }

    [Fact]
    public async Task Records_cross_calls_and_an_unserializable_argument_is_refused_at_the_call_site()
    {
        await using var silo = await Silos.InMemory();
        var grain = silo.GrainFactory.GetGrain<IArgumentsGrain>(Guid.NewGuid());
        Assert.Equal(new Ticket("t-1", 3), await grain.Echo(new Ticket("t-1", 2)));

        var before = ArgumentsGrain.UnserializableCalls;
        var error = Assert.Throws<GrainSerializationException>(() => { _ = grain.Unserializable(new CallbackHolder("x", () => 1)); });
        Assert.Equal(typeof(CallbackHolder), error.Type);
        Assert.Contains("CallbackHolder.Callback", error.Message);
        Assert.Contains("Func", error.Message);
        Assert.Equal(before, ArgumentsGrain.UnserializableCalls);
    }

    [Fact]
    public async Task An_interface_without_implementation_fails_with_a_clear_message()
    {
        await using var silo = await Silos.InMemory();
        var error = Assert.Throws<GrainTypeNotRegisteredException>(() => silo.GrainFactory.GetGrain<IOrphanGrain>(1));
        Assert.Contains("No grain class implements", error.Message);
        Assert.Contains(nameof(IOrphanGrain), error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad\nkey")]
    public async Task A_malformed_key_is_rejected_at_the_call_site(string key)
    {
        await using var silo = await Silos.InMemory();
        Assert.Throws<ArgumentException>(() => silo.GrainFactory.GetGrain<ICounterGrain>(key));
        Assert.Throws<ArgumentException>(() => silo.GrainFactory.GetGrain<ICounterGrain>(new string('k', GrainId.MaxKeyLength + 1)));
    }

    [Fact]
    public async Task Stateless_worker_serves_one_key_from_several_activations()
    {
        await using var silo = await Silos.InMemory();
        var key = "worker-" + Guid.NewGuid();
        var worker = silo.GrainFactory.GetGrain<IWorkerGrain>(key);
        var first = worker.HoldAndReportInstance();
        var second = worker.HoldAndReportInstance();
        Gates.Release(key);
        var instances = await Task.WhenAll(first, second).WaitAsync(Silos.Patience);
        Assert.NotEqual(instances[0], instances[1]);
    }
}
