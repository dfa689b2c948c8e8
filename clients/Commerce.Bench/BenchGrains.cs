using System.Diagnostics;
using Commerce.Persistence;
using Orleans.Concurrency;
using Orleans.Placement;

namespace Commerce.Bench;

// The benchmark's own grains. Only silos this program starts host them: the in-process silos of
// `runtime` and `cluster`, and the bench silo process of the `grain-lean` approach (`bench-silo`).
// The product silo hosts the product's grains only.

/// <summary>A grain that does nothing: what a call costs when the grain costs nothing.</summary>
[Alias("Commerce.Bench.INoopGrain")]
public interface INoopGrain : IGrainWithStringKey
{
    [Alias("Noop")]
    Task Noop();

    /// <summary>The silo this activation runs on (<see cref="Grain.RuntimeIdentity"/>).</summary>
    [Alias("Where")]
    Task<string> Where();
}

/// <summary>Activated on the silo whose client or grain first calls it, so that a benchmark can put it where it wants.</summary>
[PreferLocalPlacement]
[GrainType("bench-noop")]
public sealed class NoopGrain : Grain, INoopGrain
{
    public Task Noop() => Task.CompletedTask;

    public Task<string> Where() => Task.FromResult(RuntimeIdentity);
}

/// <summary>
/// The caller of the cross-silo figure: lives on the silo that activated it and calls one no-op grain
/// (on another silo) <c>calls</c> times in a row, timing each call.
/// </summary>
[Alias("Commerce.Bench.ICallerGrain")]
public interface ICallerGrain : IGrainWithStringKey
{
    /// <summary>Calls <c>target</c>'s no-op <paramref name="calls"/> times, one after the other; returns each call's Stopwatch ticks.</summary>
    [Alias("Burst")]
    Task<long[]> Burst(string target, int calls);

    [Alias("Where")]
    Task<string> Where();
}

[PreferLocalPlacement]
[GrainType("bench-caller")]
public sealed class CallerGrain : Grain, ICallerGrain
{
    public async Task<long[]> Burst(string target, int calls)
    {
        var noop = GrainFactory.GetGrain<INoopGrain>(target);
        var ticks = new long[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await noop.Noop();
            ticks[i] = Stopwatch.GetTimestamp() - started;
        }
        return ticks;
    }

    public Task<string> Where() => Task.FromResult(RuntimeIdentity);
}

/// <summary>A counter's stored state (jsonb <c>{"value": n}</c>).</summary>
public sealed class CounterState
{
    public long Value { get; set; }
}

[Alias("Commerce.Bench.ICounterGrain")]
public interface ICounterGrain : IGrainWithStringKey
{
    /// <summary>Adds one and answers once the new value is durable in PostgreSQL.</summary>
    [Alias("Increment")]
    Task<long> Increment();
}

[Alias("Commerce.Bench.IHotCounterGrain")]
public interface IHotCounterGrain : ICounterGrain;

[Alias("Commerce.Bench.IUnbatchedCounterGrain")]
public interface IUnbatchedCounterGrain : ICounterGrain;

/// <summary>
/// The hot grain with group commit: reentrant, so that increments interleave at the state write. Each
/// turn changes memory, then waits for a commit that covers it (<see cref="IJournaledState{TState}"/>);
/// increments arriving while a commit is in flight share the next one.
/// </summary>
[Reentrant]
[GrainType("bench-hot-counter")]
public sealed class HotCounterGrain([JournaledState("counter")] IJournaledState<CounterState> counter) : Grain, IHotCounterGrain
{
    public async Task<long> Increment()
    {
        var value = ++counter.State.Value;
        await counter.WriteStateAsync();
        return value;
    }
}

/// <summary>
/// The same counter the way never to run a hot key: not reentrant, on Orleans' own persistent state, so
/// every increment is one <c>WriteStateAsync</c>, one PostgreSQL commit, one caller, one after the other.
/// </summary>
[GrainType("bench-unbatched-counter")]
public sealed class UnbatchedCounterGrain([PersistentState("counter", GrainStorage.Name)] IPersistentState<CounterState> counter) : Grain, IUnbatchedCounterGrain
{
    public async Task<long> Increment()
    {
        var value = ++counter.State.Value;
        await counter.WriteStateAsync();
        return value;
    }
}

/// <summary>The lean stock grain's stored state.</summary>
public sealed class LeanStockState
{
    public long OnHand { get; set; }

    public long Reserved { get; set; }
}

/// <summary>The lean stock grain's journal row per reservation.</summary>
public sealed record LeanReservation(string ReservationId, int Quantity);

/// <summary>
/// A what-if for hot-sku and many-sku (approach <c>grain-lean</c>): the same check-and-reserve and the
/// same durability as the product's <c>SkuInventoryGrain</c> (stock and a journal row per reservation in
/// one version-checked statement before the answer, group commit), but nothing else: no holds in memory,
/// no expiry timer or reminder, no idempotency, no ledger figures, a fixed-size state. It shows what
/// Orleans and the project's journaled state do on their own.
/// </summary>
[Alias("Commerce.Bench.ILeanStockGrain")]
public interface ILeanStockGrain : IGrainWithStringKey
{
    [Alias("Stock")]
    Task Stock(long units);

    [Alias("Reserve")]
    Task<bool> Reserve(string reservationId);
}

[Reentrant]
[GrainType("bench-lean-stock")]
public sealed class LeanStockGrain([JournaledState("stock")] IJournaledState<LeanStockState> stock) : Grain, ILeanStockGrain
{
    public const string JournalKind = "reservation";

    public Task Stock(long units)
    {
        stock.State.OnHand += units;
        return stock.WriteStateAsync();
    }

    public async Task<bool> Reserve(string reservationId)
    {
        if (stock.State.OnHand - stock.State.Reserved < 1)
        {
            return false;
        }
        stock.AppendToJournal(JournalKind, new LeanReservation(reservationId, 1));
        stock.State.Reserved++;
        await stock.WriteStateAsync();
        return true;
    }
}
