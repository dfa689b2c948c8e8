using System.Threading.Channels;

namespace Commerce.Runtime.Tests;

public sealed class ObserverTests
{
    private sealed class RecordingObserver : IStockObserver
    {
        public Channel<(string Sku, int Available)> Received { get; } = Channel.CreateUnbounded<(string, int)>();

        public Task StockChanged(string sku, int available)
        {
            Received.Writer.TryWrite((sku, available));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_grain_notifies_subscribed_observers_in_order_and_forgets_deleted_ones()
    {
        await using var silo = await Silos.InMemory();
        var publisher = silo.GrainFactory.GetGrain<IPublisherGrain>("sku-" + Guid.NewGuid());
        var observer = new RecordingObserver();
        var reference = silo.GrainFactory.CreateObjectReference<IStockObserver>(observer);
        await publisher.Subscribe(reference);

        Assert.Equal(1, await publisher.Publish(5));
        Assert.Equal(1, await publisher.Publish(4));
        Assert.Equal(5, (await observer.Received.Reader.ReadAsync()).Available);
        Assert.Equal(4, (await observer.Received.Reader.ReadAsync()).Available);

        silo.GrainFactory.DeleteObjectReference(reference);
        Assert.Equal(0, await publisher.Publish(3));
        Assert.False(observer.Received.Reader.TryRead(out _));
    }
}
