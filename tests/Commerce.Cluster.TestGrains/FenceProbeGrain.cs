using Commerce.Runtime;

namespace Commerce.Cluster.TestGrains;

public sealed class ProbeState
{
    public int Value { get; set; }
}

/// <summary>
/// A grain whose write can be held back: <see cref="WriteAfter"/> changes memory, waits, then writes.
/// Freezing its silo during the wait and letting the partition move makes the write arrive with a
/// stale lease epoch, which PostgreSQL must refuse.
/// </summary>
public interface IFenceProbeGrain : IGrainWithStringKey
{
    Task<int> Write(int value);

    Task<int> WriteAfter(int value, TimeSpan delay);

    [ReadOnly]
    Task<int> Read();

    [ReadOnly]
    Task<string> Where();
}

public sealed class FenceProbeGrain(
    [PersistentState("probe")] IPersistentState<ProbeState> probe,
    Microsoft.Extensions.Logging.ILogger<FenceProbeGrain> logger) : Grain, IFenceProbeGrain
{
    public async Task<int> Write(int value)
    {
        probe.State.Value = value;
        await probe.WriteStateAsync();
        return value;
    }

    public async Task<int> WriteAfter(int value, TimeSpan delay)
    {
        probe.State.Value = value;
        // The test waits for this line in the silo's log before freezing the silo.
        Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "Fence probe {Key} holding a write of {Value}", GetPrimaryKeyString(), value);
        await Task.Delay(delay);
        await probe.WriteStateAsync();
        return value;
    }

    public Task<int> Read() => Task.FromResult(probe.State.Value);

    public Task<string> Where() => Task.FromResult(RuntimeIdentity);
}

/// <summary>An idempotent reservation counter: a retried reservation id is never counted twice.</summary>
public interface IStockCounterGrain : IGrainWithStringKey
{
    Task<int> Stock(int units);

    Task<bool> Reserve(string reservationId);

    [ReadOnly]
    Task<(int Available, int Reserved)> Totals();

    [ReadOnly]
    Task<bool> Holds(string reservationId);
}

public sealed class StockState
{
    public int Available { get; set; }

    public HashSet<string> Reservations { get; set; } = [];
}

[Reentrant]
public sealed class StockCounterGrain([PersistentState("stock")] IPersistentState<StockState> stock) : Grain, IStockCounterGrain
{
    public async Task<int> Stock(int units)
    {
        stock.State.Available = units;
        await stock.WriteStateAsync();
        return units;
    }

    public async Task<bool> Reserve(string reservationId)
    {
        if (stock.State.Reservations.Contains(reservationId))
        {
            return true;
        }
        if (stock.State.Available <= 0)
        {
            return false;
        }
        stock.State.Available--;
        stock.State.Reservations.Add(reservationId);
        await stock.WriteStateAsync();
        return true;
    }

    public Task<(int Available, int Reserved)> Totals() => Task.FromResult((stock.State.Available, stock.State.Reservations.Count));

    public Task<bool> Holds(string reservationId) => Task.FromResult(stock.State.Reservations.Contains(reservationId));
}
