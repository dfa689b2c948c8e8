using System.Collections.Concurrent;
using System.Threading.Channels;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;

namespace Commerce.Grains.Tests;

/// <summary>Records what a SKU grain tells its observers.</summary>
internal sealed class InventoryProbe : IInventoryObserver
{
    public Channel<(string Event, StockLevelChange Change)> Events { get; } = Channel.CreateUnbounded<(string, StockLevelChange)>();

    public Task StockChanged(StockLevelChange change) => Record("changed", change);

    public Task LowStock(StockLevelChange change) => Record("low", change);

    public Task BackInStock(StockLevelChange change) => Record("back", change);

    private Task Record(string name, StockLevelChange change)
    {
        Events.Writer.TryWrite((name, change));
        return Task.CompletedTask;
    }

    /// <summary>Events read but not asked for yet: Orleans does not order separate calls to an observer.</summary>
    private readonly List<(string Event, StockLevelChange Change)> _unclaimed = [];

    /// <summary>The oldest event named <paramref name="name"/> not returned before, waiting for it if need be.</summary>
    public async Task<StockLevelChange> Next(string name)
    {
        using var patience = new CancellationTokenSource(Silos.Patience);
        while (true)
        {
            var index = _unclaimed.FindIndex(e => e.Event == name);
            if (index >= 0)
            {
                var found = _unclaimed[index];
                _unclaimed.RemoveAt(index);
                return found.Change;
            }
            _unclaimed.Add(await Events.Reader.ReadAsync(patience.Token));
        }
    }
}

/// <summary>Records what a flash-sale grain tells its observers; tests await its signals instead of sleeping.</summary>
internal sealed class SaleProbe : IFlashSaleObserver
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<PurchaseToken>> _admissions = new();

    public ConcurrentQueue<string> AdmissionOrder { get; } = new();

    public TaskCompletionSource SoldOutSignal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<SalePhase> EndedSignal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long AdmittedThrough;

    public Task<PurchaseToken> AdmissionOf(string customerId) => Admission(customerId).Task.WaitAsync(Silos.Patience);

    /// <summary>The customer's token, or null if the sale sold out first.</summary>
    public async Task<PurchaseToken?> AdmissionOrSoldOut(string customerId)
    {
        var admission = Admission(customerId).Task;
        var first = await Task.WhenAny(admission, SoldOutSignal.Task).WaitAsync(Silos.Patience);
        return first == admission ? await admission : null;
    }

    private TaskCompletionSource<PurchaseToken> Admission(string customerId) =>
        _admissions.GetOrAdd(customerId, _ => new TaskCompletionSource<PurchaseToken>(TaskCreationOptions.RunContinuationsAsynchronously));

    public Task Joined(string saleId, string customerId, long ticket) => Task.CompletedTask;

    public Task QueueAdvanced(string saleId, long admittedThrough)
    {
        InterlockedMax(ref AdmittedThrough, admittedThrough);
        return Task.CompletedTask;
    }

    public Task Admitted(string saleId, string customerId, PurchaseToken token)
    {
        AdmissionOrder.Enqueue(customerId);
        Admission(customerId).TrySetResult(token);
        return Task.CompletedTask;
    }

    public Task SoldOut(string saleId)
    {
        SoldOutSignal.TrySetResult();
        return Task.CompletedTask;
    }

    public Task Ended(string saleId, SalePhase phase)
    {
        EndedSignal.TrySetResult(phase);
        return Task.CompletedTask;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) != current)
        {
            current = Interlocked.Read(ref target);
        }
    }
}
