using Commerce.Hosting.SiloTelemetry;
using Commerce.Persistence;

namespace Commerce.Dashboard.Tests;

/// <summary>The histogram the silos count calls and storage in, and the arithmetic the dashboard does on its readings.</summary>
public sealed class LatencyFiguresTests
{
    [Theory]
    [InlineData(0.0004)]
    [InlineData(0.003)]
    [InlineData(0.0042)]
    [InlineData(0.75)]
    [InlineData(12.3)]
    [InlineData(987.6)]
    [InlineData(45_000)]
    public void A_duration_lands_in_a_bucket_at_most_a_quarter_or_a_microsecond_above_it(double milliseconds)
    {
        var histogram = new LatencyHistogram();
        histogram.Record(TimeSpan.FromMilliseconds(milliseconds));
        var reading = LatencyDistribution.From(histogram.Read());
        var bucket = Assert.Single(reading.Buckets);
        Assert.Equal(1, bucket.Count);
        Assert.InRange(bucket.UpToMs, milliseconds, Math.Max(milliseconds * 1.25, milliseconds + 0.001));
        Assert.Equal(milliseconds, reading.MeanMs, 4);
    }

    [Fact]
    public void The_interval_between_two_readings_and_several_silos_merged_give_the_calls_of_the_interval()
    {
        var first = new LatencyHistogram();
        var second = new LatencyHistogram();
        for (var i = 0; i < 1000; i++)
        {
            first.Record(TimeSpan.FromMilliseconds(1));
        }
        var before = LatencyDistribution.From(first.Read());
        for (var i = 0; i < 98; i++)
        {
            first.Record(TimeSpan.FromMilliseconds(2));
        }
        first.Record(TimeSpan.FromMilliseconds(100));
        second.Record(TimeSpan.FromMilliseconds(100));

        var interval = LatencyDistribution.From(first.Read()).Since(before);
        Assert.Equal(99, interval.Count);
        var cluster = LatencyDistribution.Combine([interval, LatencyDistribution.From(second.Read())]);
        Assert.Equal(100, cluster.Count);
        Assert.Equal((98 * 2 + 200) / 100.0, cluster.MeanMs, 6);
        Assert.InRange(cluster.P99Ms, 100, 125); // the 99th of 100 calls is one of the two slow ones
        Assert.InRange(cluster.Percentile(0.5), 2, 2.5);
        Assert.Equal(0, LatencyDistribution.Empty.P99Ms);
    }
}
