using System.Diagnostics;
using System.Diagnostics.Metrics;
using Commerce.Runtime.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Runtime.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Calls_show_in_the_meter_under_stable_names_in_a_span_per_call_and_in_the_snapshot()
    {
        await using var silo = await Silos.InMemory();
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RuntimeMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "method" && (string?)tag.Value == "ICounterGrain.Increment")
                {
                    measured[instrument.Name] = value;
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + 1);
        listener.Start();
        var spans = new List<Activity>();
        using var spanListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Commerce.Runtime",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(spanListener);

        var counter = silo.GrainFactory.GetGrain<ICounterGrain>("telemetry-" + Guid.NewGuid());
        for (var i = 0; i < 5; i++)
        {
            await counter.Increment();
        }
        listener.RecordObservableInstruments();

        Assert.True(measured.GetValueOrDefault("commerce.runtime.grain.calls") >= 5);
        Assert.True(measured.GetValueOrDefault("commerce.runtime.grain.call.duration") >= 5);
        lock (spans)
        {
            Assert.True(spans.Count(s => s.DisplayName == "ICounterGrain.Increment") >= 5);
        }
        var snapshot = silo.Services.GetRequiredService<SiloTelemetry>().Snapshot();
        var increment = Assert.Single(snapshot.Methods, m => m.Method == "ICounterGrain.Increment");
        Assert.Equal("CounterGrain", increment.GrainType);
        Assert.True(increment.Calls >= 5);
        Assert.Contains(snapshot.GrainTypes, g => g.GrainType == "CounterGrain" && g.Activations >= 1);
    }

    [Fact]
    public void Latency_snapshots_give_the_calls_between_two_snapshots_and_merge_silos_into_one_distribution()
    {
        var histogram = new LatencyHistogram();
        Record(histogram, 1_000, TimeSpan.FromMilliseconds(100));
        var earlier = histogram.Snapshot();
        Record(histogram, 100, TimeSpan.FromMilliseconds(1));
        var later = histogram.Snapshot();

        // Since start, the slow calls dominate; in between, only the fast ones happened.
        Assert.InRange(later.P99Ms, 100, 120);
        var between = later.Since(earlier);
        Assert.Equal(100, between.Count);
        Assert.Equal(1.0, between.MeanMs, precision: 6);
        Assert.InRange(between.P99Ms, 1, 1.2);
        Assert.Same(later, later.Since(null));
        Assert.Equal(0, later.Since(later).Count);

        // Two silos: 990 fast calls and 10 slow ones make a fast p99, where the slower silo's p99 would say 10 ms.
        var fast = new LatencyHistogram();
        Record(fast, 990, TimeSpan.FromMilliseconds(1));
        var slow = new LatencyHistogram();
        Record(slow, 10, TimeSpan.FromMilliseconds(10));
        var cluster = LatencySnapshot.Combine([fast.Snapshot(), slow.Snapshot(), LatencySnapshot.Empty]);
        Assert.Equal(1_000, cluster.Count);
        Assert.Equal((990 * 1.0 + 10 * 10.0) / 1_000, cluster.MeanMs, precision: 6);
        Assert.InRange(cluster.P99Ms, 1, 1.2);
        Assert.InRange(slow.Snapshot().P99Ms, 10, 12);
    }

    private static void Record(LatencyHistogram histogram, int times, TimeSpan duration)
    {
        for (var i = 0; i < times; i++)
        {
            histogram.Record(duration);
        }
    }
}
