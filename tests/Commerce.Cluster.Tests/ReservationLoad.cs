using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Commerce.Grains.Inventory;
using Commerce.Testing;

namespace Commerce.Cluster.Tests;

/// <summary>
/// Storefront workers reserving one unit at a time through a cluster client: mostly a hot SKU with
/// plenty of stock, otherwise one of many SKUs with little. A call that fails may or may not have
/// taken effect, so it is sent again with the same reservation id (which the SKU grain applies at
/// most once) until it is answered. Keeps what each SKU acknowledged and refused, every failed attempt
/// by kind, and the timeline of calls, to measure how long callers waited while the cluster moved.
/// </summary>
internal sealed class ReservationLoad : IAsyncDisposable
{
    /// <summary>A reservation's answer, after how many attempts and how long.</summary>
    public sealed record Answered(ReservationResult Result, int Attempts, TimeSpan Waited)
    {
        public bool Succeeded => Result.Succeeded;

        public override string ToString() => $"{Result.Error} after {Attempts} attempt(s), {Waited.TotalMilliseconds:0} ms";
    }

    /// <summary>How long one reservation may stay unanswered before the worker gives up (and the test fails).</summary>
    public static readonly TimeSpan CallPatience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The pace of the whole load: enough traffic to have calls in flight whenever a fault strikes, bounded so
    /// that a long test does not write a million ledger rows (sold-out SKUs answer in microseconds).
    /// </summary>
    public const double CallsPerSecond = 1500;

    /// <summary>Holds outlive the test: nothing expires, so the ledger holds only receipts and reservations.</summary>
    private static readonly TimeSpan HoldFor = TimeSpan.FromHours(2);

    private readonly IGrainFactory _grains;
    private readonly IReadOnlyList<string> _skus;
    private readonly string _hot;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly ConcurrentQueue<(TimeSpan Start, TimeSpan End, int Attempts)> _calls = new();
    private readonly ConcurrentQueue<TimeSpan> _answers = new();
    private readonly Lock _pace = new();
    private TimeSpan _nextSlot;
    private long _acknowledged;
    private long _refused;
    private long _failedAttempts;

    /// <param name="skus">The SKUs with little stock.</param>
    /// <param name="hot">The SKU one reservation in two goes to.</param>
    public ReservationLoad(IGrainFactory grains, IReadOnlyList<string> skus, string hot)
    {
        _grains = grains;
        _skus = skus;
        _hot = hot;
    }

    /// <summary>Acknowledged reservation ids per SKU.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> Acknowledged { get; } = new();

    /// <summary>Reservations refused for lack of stock, per SKU.</summary>
    public ConcurrentDictionary<string, int> Refused { get; } = new();

    /// <summary>Failed attempts by kind, with the first of each kind.</summary>
    public ConcurrentDictionary<string, (int Count, Exception First)> Failures { get; } = new();

    /// <summary>Answers no reservation should get (anything but success or insufficient stock).</summary>
    public ConcurrentQueue<string> UnexpectedAnswers { get; } = new();

    public long AcknowledgedCount => Interlocked.Read(ref _acknowledged);

    public long RefusedCount => Interlocked.Read(ref _refused);

    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    public long Calls => _calls.Count;

    /// <summary>Time since the load was created: the timeline the figures below use.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public void Start(int workers)
    {
        for (var w = 0; w < workers; w++)
        {
            var seed = w;
            _workers.Add(Task.Run(() => Work(seed)));
        }
    }

    private async Task Work(int seed)
    {
        var random = new Random(seed);
        while (!_stop.IsCancellationRequested)
        {
            var sku = random.Next(2) == 0 ? _hot : _skus[random.Next(_skus.Count)];
            await Paced();
            await ReserveAsync(sku, Guid.NewGuid().ToString("N"));
        }
    }

    /// <summary>Waits for the next of <see cref="CallsPerSecond"/> slots; after a stall the load resumes at its pace, without a burst.</summary>
    private Task Paced()
    {
        TimeSpan wait;
        lock (_pace)
        {
            var now = Now;
            var slot = _nextSlot > now ? _nextSlot : now;
            _nextSlot = slot + TimeSpan.FromSeconds(1 / CallsPerSecond);
            wait = slot - now;
        }
        return wait > TimeSpan.FromMilliseconds(1) ? Task.Delay(wait) : Task.CompletedTask;
    }

    /// <summary>
    /// One reservation, sent again with the same id after every failure until it is answered; a
    /// short, growing pause between attempts as a client backs off (never longer than <paramref name="maxBackoff"/>).
    /// </summary>
    public async Task<Answered> ReserveAsync(string sku, string reservationId, TimeSpan? maxBackoff = null)
    {
        var grain = _grains.GetGrain<ISkuInventoryGrain>(sku);
        var request = new ReserveStock(reservationId, 1, HoldFor);
        var started = Now;
        var backoff = TimeSpan.FromMilliseconds(10);
        var limit = maxBackoff ?? TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            ReservationResult result;
            try
            {
                result = await grain.Reserve(request);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failedAttempts);
                Failures.AddOrUpdate(TransientFaults.Kind(e), (1, e), (_, seen) => (seen.Count + 1, seen.First));
                if (Now - started > CallPatience)
                {
                    throw new TimeoutException($"Reservation {reservationId} of {sku} was not answered in {CallPatience.TotalSeconds:0} s ({attempt} attempts).", e);
                }
                await Task.Delay(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, limit.Ticks));
                continue;
            }
            var answered = Now;
            _calls.Enqueue((started, answered, attempt));
            Record(sku, reservationId, result, answered);
            return new Answered(result, attempt, answered - started);
        }
    }

    private void Record(string sku, string reservationId, ReservationResult result, TimeSpan answered)
    {
        if (result.Succeeded)
        {
            Acknowledged.GetOrAdd(sku, _ => new ConcurrentDictionary<string, byte>())[reservationId] = 0;
            Interlocked.Increment(ref _acknowledged);
            _answers.Enqueue(answered);
        }
        else if (result.Error == ReservationError.InsufficientStock)
        {
            Refused.AddOrUpdate(sku, 1, (_, n) => n + 1);
            Interlocked.Increment(ref _refused);
            _answers.Enqueue(answered);
        }
        else
        {
            UnexpectedAnswers.Enqueue($"{sku}/{reservationId}: {result.Error} {result.Message}");
        }
    }

    /// <summary>Waits until <paramref name="count"/> reservations in all were acknowledged; fails at once if a worker failed.</summary>
    public Task WaitForAcknowledgedAsync(long count, string? what = null) => Eventually.True(() =>
    {
        if (_workers.FirstOrDefault(w => w.IsFaulted) is { } failed)
        {
            throw new InvalidOperationException("A reservation worker failed.", failed.Exception);
        }
        return AcknowledgedCount >= count;
    }, what ?? $"{count} acknowledged reservations", ClusterHarness.Patience);

    /// <summary>Waits until <paramref name="more"/> reservations beyond those acknowledged now were acknowledged.</summary>
    public Task WaitForMoreAsync(long more, string? what = null) => WaitForAcknowledgedAsync(AcknowledgedCount + more, what);

    /// <summary>Stops the workers once each has its current reservation answered.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    /// <summary>The longest any reservation in flight during [<paramref name="from"/>, <paramref name="to"/>] waited for its answer, and how many tries it took.</summary>
    public (TimeSpan Wait, int Attempts) LongestWait(TimeSpan from, TimeSpan to)
    {
        var longest = (Wait: TimeSpan.Zero, Attempts: 0);
        foreach (var (start, end, attempts) in _calls)
        {
            if (end >= from && start <= to && end - start > longest.Wait)
            {
                longest = (end - start, attempts);
            }
        }
        return longest;
    }

    /// <summary>The longest stretch within [<paramref name="from"/>, <paramref name="to"/>] in which no call at all was answered.</summary>
    public TimeSpan LongestSilence(TimeSpan from, TimeSpan to)
    {
        var answers = _answers.Where(a => a >= from && a <= to).Order().ToList();
        var previous = from;
        var longest = TimeSpan.Zero;
        foreach (var answer in answers.Append(to))
        {
            longest = answer - previous > longest ? answer - previous : longest;
            previous = answer;
        }
        return longest;
    }

    /// <summary>Calls that needed more than one attempt.</summary>
    public int RetriedCalls => _calls.Count(c => c.Attempts > 1);

    public string Describe()
    {
        var text = new StringBuilder();
        text.Append($"{Calls} reservations answered ({AcknowledgedCount} acknowledged, {RefusedCount} refused for lack of stock); ");
        text.Append($"{FailedAttempts} failed attempts in {RetriedCalls} calls, all retried with the same id");
        foreach (var (kind, (count, first)) in Failures.OrderByDescending(f => f.Value.Count))
        {
            text.Append($"\n  {count} x {kind}: {first.Message.ReplaceLineEndings(" ")[..Math.Min(first.Message.Length, 200)]}");
        }
        return text.ToString();
    }

    /// <summary>Every failed attempt was a transient cluster fault (what the gateway answers with 503 and Retry-After).</summary>
    public void AssertEveryFailureWasTransient()
    {
        var unexpected = Failures.Where(f => !TransientFaults.IsExpected(f.Value.First)).ToList();
        Assert.True(unexpected.Count == 0, "Callers saw failures that are no transient cluster fault:\n" +
            string.Join("\n", unexpected.Select(f => $"{f.Value.Count} x {f.Key}: {f.Value.First}")));
        Assert.True(UnexpectedAnswers.IsEmpty, "Unexpected answers: " + string.Join("; ", UnexpectedAnswers.Take(5)));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(CallPatience + TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // Reported by StopAsync on the normal path; here the test already failed.
        }
        _stop.Dispose();
    }
}
