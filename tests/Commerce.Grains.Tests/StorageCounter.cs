using System.Diagnostics.Metrics;
using Commerce.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Grains.Tests;

/// <summary>Counts the grain-state reads and commits one silo makes, from its <c>Commerce.Storage</c> meter.</summary>
internal sealed class StorageCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _operations;
    private int _instruments;

    public StorageCounter(TestSilo silo)
    {
        // Only this silo's meter: other test classes run silos in the same process.
        var scope = silo.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StorageMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope) &&
                instrument.Name is "commerce.storage.read.duration" or "commerce.storage.write.duration")
            {
                listener.EnableMeasurementEvents(instrument);
                Interlocked.Increment(ref _instruments);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _operations));
        _listener.Start();
    }

    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>True once both instruments are watched: a count of zero then means nothing was read or written.</summary>
    public bool Watching => Volatile.Read(ref _instruments) == 2;

    public void Dispose() => _listener.Dispose();
}
