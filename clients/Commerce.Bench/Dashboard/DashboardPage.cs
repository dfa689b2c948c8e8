using System.Diagnostics;

namespace Commerce.Bench.Dashboard;

/// <summary>
/// What an operator's open dashboard page asks of its silo (clients/dashboard/public/dashboard.js):
/// the chart history once, then the whole view a second after each answer. Keeps every answer's latency.
/// </summary>
internal sealed class DashboardPage(HttpClient operators)
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(1);

    private readonly List<long> _latencies = [];
    private CancellationTokenSource? _closing;
    private Task _polling = Task.CompletedTask;

    public void Open()
    {
        _closing = new CancellationTokenSource();
        _polling = PollAsync(_closing.Token);
    }

    public async Task CloseAsync()
    {
        if (_closing is null)
        {
            return;
        }
        _closing.Cancel();
        await _polling;
        _closing.Dispose();
        _closing = null;
    }

    /// <summary>Stopwatch ticks of every dashboard answer so far, sorted.</summary>
    public long[] Latencies()
    {
        var sorted = _latencies.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    private async Task PollAsync(CancellationToken closing)
    {
        try
        {
            await GetAsync("/api/v1/dashboard/history", closing);
            while (true)
            {
                await GetAsync("/api/v1/dashboard", closing);
                await Task.Delay(RefreshEvery, closing);
            }
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // The page was closed.
        }
    }

    private async Task GetAsync(string path, CancellationToken closing)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await operators.GetAsync(path, closing);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync(closing);
        _latencies.Add(Stopwatch.GetTimestamp() - started);
    }
}
