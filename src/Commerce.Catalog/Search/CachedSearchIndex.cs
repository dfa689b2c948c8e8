using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Commerce.Catalog.Search;

public sealed class SearchCacheOptions
{
    public const string Section = "Commerce:Search:Cache";

    /// <summary>
    /// How long an answer is reused: the longest a search or suggestion may lag behind the index on top of its
    /// own indexing lag. Zero turns the cache off.
    /// </summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Answers held at most, of searches and of suggestions each (a search's answer is some 10–30 KB); past it, new
    /// queries go uncached until entries expire. Only answered queries enter, and PostgreSQL answers at most a few
    /// hundred a second, so within one window this is rarely reached.
    /// </summary>
    public int MaxEntries { get; set; } = 1_000;
}

/// <summary>
/// A short-lived cache in front of another <see cref="ISearchIndex"/>: identical searches (same text, filters in any
/// order, sort, page and limit) and identical suggestion prefixes within <see cref="SearchCacheOptions.Duration"/>
/// share one answer, and identical queries arriving while it is being computed wait for that one query instead of
/// starting their own. On a peak, a popular query then costs one index query per interval however many ask it.
/// </summary>
public sealed class CachedSearchIndex(ISearchIndex index, IOptions<SearchCacheOptions> options, TimeProvider clock) : ISearchIndex
{
    private readonly ExpiringAnswers<SearchResults> _searches = new(options.Value, clock);
    private readonly ExpiringAnswers<IReadOnlyList<Suggestion>> _suggestions = new(options.Value, clock);

    public Task<SearchResults> SearchAsync(SearchQuery query, CancellationToken cancellationToken) =>
        _searches.GetAsync(Key(query), () => index.SearchAsync(query, CancellationToken.None), cancellationToken);

    public Task<IReadOnlyList<Suggestion>> SuggestAsync(string prefix, int limit, CancellationToken cancellationToken) =>
        _suggestions.GetAsync(JsonSerializer.Serialize(new object[] { prefix.Trim(), limit }), () => index.SuggestAsync(prefix, limit, CancellationToken.None), cancellationToken);

    /// <summary>The query with each filter's alternatives sorted, since their order changes nothing in the answer.</summary>
    private static string Key(SearchQuery query)
    {
        static string[] Sorted(IEnumerable<string> values) => values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return JsonSerializer.Serialize(new object?[]
        {
            query.Text, Sorted(query.Categories), Sorted(query.Brands), Sorted(query.PriceRanges),
            query.Attributes.Where(a => a.Value.Count > 0).OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new object[] { a.Key, Sorted(a.Value) }).ToArray(),
            query.InStock, query.Sort, query.Page, query.Limit,
        });
    }

    /// <summary>
    /// Answers by key, each reused until it expires. An answer still being computed is joined, never expired: it
    /// is the freshest there is. A failed one is forgotten so that the next caller tries again. The shared query
    /// runs without the callers' cancellation (one caller giving up must not fail the others); each caller stops
    /// waiting on its own token.
    /// </summary>
    private sealed class ExpiringAnswers<T>(SearchCacheOptions options, TimeProvider clock)
    {
        private sealed record Entry(Task<T> Answer, DateTimeOffset Expires);

        private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

        /// <summary>The entries held, kept by hand: ConcurrentDictionary.Count takes every lock of the table.</summary>
        private int _count;

        public Task<T> GetAsync(string key, Func<Task<T>> compute, CancellationToken cancellationToken)
        {
            while (true)
            {
                var now = clock.GetUtcNow();
                var found = _entries.TryGetValue(key, out var entry);
                if (found && (!entry!.Answer.IsCompleted || entry.Expires > now))
                {
                    return entry.Answer.WaitAsync(cancellationToken);
                }
                if (!found && !HasRoom(now))
                {
                    return compute().WaitAsync(cancellationToken);
                }
                var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
                var fresh = new Entry(answer.Task, now + options.Duration);
                if (found ? _entries.TryUpdate(key, fresh, entry!) : _entries.TryAdd(key, fresh))
                {
                    if (!found)
                    {
                        Interlocked.Increment(ref _count);
                    }
                    _ = Compute(key, fresh, answer, compute);
                    return answer.Task.WaitAsync(cancellationToken);
                }
                // Another caller added or replaced the entry meanwhile: use theirs.
            }
        }

        private async Task Compute(string key, Entry entry, TaskCompletionSource<T> answer, Func<Task<T>> compute)
        {
            try
            {
                answer.SetResult(await compute());
            }
            catch (Exception e)
            {
                Remove(new(key, entry));
                answer.SetException(e);
            }
        }

        /// <summary>Whether a new entry fits; when full, the expired entries are dropped first.</summary>
        private bool HasRoom(DateTimeOffset now)
        {
            if (Volatile.Read(ref _count) < options.MaxEntries)
            {
                return true;
            }
            foreach (var pair in _entries)
            {
                if (pair.Value.Answer.IsCompleted && pair.Value.Expires <= now)
                {
                    Remove(pair);
                }
            }
            return Volatile.Read(ref _count) < options.MaxEntries;
        }

        private void Remove(KeyValuePair<string, Entry> pair)
        {
            if (_entries.TryRemove(pair))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }
}
