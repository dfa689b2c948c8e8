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

public sealed class LeanStockState
{
    public long OnHand { get; set; }

    public long Reserved { get; set; }
}

public sealed record LeanReservation(string ReservationId, int Quantity);

/// <summary>
/// A what-if for the hot-sku benchmark (approach <c>grain-lean</c>): the same check-and-reserve and
/// the same durability as <c>SkuInventoryGrain</c> (stock and a reservation journal row in one
/// transaction before the answer, group commit), but a fixed-size state: reservations live only in
/// the journal, not in the state document. It shows what the runtime does when the state written
/// per commit does not grow with every reservation. No idempotency memory, no expiry.
/// </summary>
public interface ILeanStockGrain : IGrainWithStringKey
{
    Task Stock(long units);

    Task<bool> Reserve(string reservationId);
}

[Reentrant]
public sealed class LeanStockGrain([PersistentState("stock")] IPersistentState<LeanStockState> stock) : Grain, ILeanStockGrain
{
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
        stock.State.Reserved++;
        stock.AppendToJournal("reservation", new LeanReservation(reservationId, 1));
        await stock.WriteStateAsync();
        return true;
    }
}
