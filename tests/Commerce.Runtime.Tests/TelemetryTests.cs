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
}
