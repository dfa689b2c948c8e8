using System.Collections.Concurrent;
using Commerce.Grains.FlashSales;

namespace Commerce.Gateway.Tests;

/// <summary>Admissions as the sale grain announces them, so that tests wait on events, not on the clock.</summary>
internal sealed class Admissions : IFlashSaleObserver
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<PurchaseToken>> _tokens = new();

    public Task<PurchaseToken> Of(string customerId) => Signal(customerId).Task.WaitAsync(TimeSpan.FromSeconds(60));

    private TaskCompletionSource<PurchaseToken> Signal(string customerId) =>
        _tokens.GetOrAdd(customerId, _ => new TaskCompletionSource<PurchaseToken>(TaskCreationOptions.RunContinuationsAsynchronously));

    public Task Admitted(string saleId, string customerId, PurchaseToken token)
    {
        Signal(customerId).TrySetResult(token);
        return Task.CompletedTask;
    }

    public Task Joined(string saleId, string customerId, long ticket) => Task.CompletedTask;

    public Task QueueAdvanced(string saleId, long admittedThrough) => Task.CompletedTask;

    public Task SoldOut(string saleId) => Task.CompletedTask;

    public Task Ended(string saleId, SalePhase phase) => Task.CompletedTask;
}
