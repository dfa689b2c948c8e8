using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Commerce.Persistence;

/// <summary>
/// A hot grain's durable state with its journal (ledger rows, queue entries, outbox events), kept in
/// <c>grain_state</c> and <c>grain_journal</c> and written with group commit. Injected into a grain's
/// constructor with <see cref="JournaledStateAttribute"/>; read before <c>OnActivateAsync</c>.
/// </summary>
public interface IJournaledState<TState> where TState : class, new()
{
    TState State { get; }

    /// <summary>The stored version this activation last read or wrote; null when nothing is stored.</summary>
    long? Version { get; }

    bool RecordExists { get; }

    /// <summary>
    /// Asks for everything now in <see cref="State"/> and the journal to be committed. Completes once a
    /// commit that covers it is durable; concurrent requests (interleaved turns of a reentrant grain)
    /// share commits. A failed commit fails every request it covered and every later one, and discards
    /// the activation, whose memory is now ahead of storage: the next call reloads what was committed.
    /// </summary>
    Task WriteStateAsync();

    /// <summary>
    /// Queues a journal row that commits in the same statement as the next state write (if that write
    /// fails, the row goes with it). The row is serialized now and checked for text PostgreSQL cannot
    /// store, so a bad row throws <see cref="ArgumentException"/> here, to its own caller, and never
    /// reaches a commit shared with others. Append before changing the state it describes.
    /// </summary>
    void AppendToJournal<TEntry>(string kind, TEntry entry);

    /// <summary>Journal rows of this state and kind in commit order, after <paramref name="afterSequence"/> (0: from the start).</summary>
    Task<IReadOnlyList<StoredJournalRecord>> ReadJournalAsync(string kind, long afterSequence, int limit);
}

/// <summary>Marks a grain constructor parameter of type <see cref="IJournaledState{TState}"/>: <c>[JournaledState("inventory")]</c>.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class JournaledStateAttribute(string stateName) : Attribute, IFacetMetadata
{
    public string StateName { get; } = stateName;
}

/// <summary>Creates each activation's <see cref="IJournaledState{TState}"/> for Orleans' grain activator.</summary>
internal sealed class JournaledStateAttributeMapper : IAttributeToFactoryMapper<JournaledStateAttribute>
{
    private static readonly MethodInfo CreateMethod = typeof(JournaledStateAttributeMapper).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!;

    public Factory<IGrainContext, object> GetFactory(ParameterInfo parameter, JournaledStateAttribute metadata)
    {
        if (!parameter.ParameterType.IsGenericType || parameter.ParameterType.GetGenericTypeDefinition() != typeof(IJournaledState<>))
        {
            throw new ArgumentException(
                $"Parameter '{parameter.Name}' of {parameter.Member.DeclaringType} has [JournaledState] but is a {parameter.ParameterType}, not an IJournaledState<T>.",
                parameter.Name);
        }
        var create = CreateMethod.MakeGenericMethod(parameter.ParameterType.GetGenericArguments());
        return context => create.Invoke(null, [context, metadata.StateName])!;
    }

    private static JournaledState<TState> Create<TState>(IGrainContext context, string stateName) where TState : class, new() =>
        new(context, stateName, context.ActivationServices.GetRequiredService<GrainStateStore>(),
            context.ActivationServices.GetRequiredService<StateCommitter>(),
            context.ActivationServices.GetRequiredService<StorageMetrics>(),
            context.ActivationServices.GetRequiredService<ILogger<JournaledState<TState>>>());
}

/// <summary>
/// Group commit on the activation's own scheduler. A write request does not write by itself: it
/// joins the next commit, which snapshots state and journal on the activation (so it holds exactly
/// the changes made so far), writes them in one statement that names the version it read (through the silo's
/// <see cref="StateCommitter"/>, in a round trip shared with other grains' commits), and
/// answers every request it covered only after PostgreSQL committed. While one commit is in flight,
/// new requests accumulate and share the next one.
/// </summary>
/// <remarks>
/// Holding: once a large batch is answered, its callers come back within moments. Starting the next
/// commit with the first few of them would split the callers into two groups that alternate, each
/// waiting for two commits per write; so the next commit waits — at most <see cref="MaximumHold"/> —
/// until as many requests are pending again as the last batch answered.
/// </remarks>
internal sealed class JournaledState<TState> : IJournaledState<TState>, ILifecycleObserver where TState : class, new()
{
    private readonly IGrainContext _context;
    private readonly string _stateName;
    private readonly GrainStateStore _store;
    private readonly StateCommitter _committer;
    private readonly StorageMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _grainType;
    private readonly string _grainKey;

    private static readonly TimeSpan MaximumHold = TimeSpan.FromMilliseconds(1);

    /// <summary>Batches smaller than this are not held for: at low load a caller never waits for others.</summary>
    private const int HoldFromBatch = 4;

    private List<TaskCompletionSource> _pending = [];
    private List<JournalRecord> _journal = [];
    private bool _committing;
    private Exception? _failure;
    private TaskCompletionSource? _holdRelease;
    private int _holdUntilPending;

    public JournaledState(IGrainContext context, string stateName, GrainStateStore store, StateCommitter committer, StorageMetrics metrics, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateName);
        _context = context;
        _stateName = stateName;
        _store = store;
        _committer = committer;
        _metrics = metrics;
        _logger = logger;
        _grainType = PostgresGrainStorage.TypeOf(context.GrainId);
        _grainKey = PostgresGrainStorage.KeyOf(context.GrainId);
        context.ObservableLifecycle.Subscribe($"JournaledState:{stateName}", GrainLifecycleStage.SetupState, this);
    }

    public TState State { get; private set; } = new();

    public long? Version { get; private set; }

    public bool RecordExists => Version is not null;

    async Task ILifecycleObserver.OnStart(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var stored = await _store.ReadAsync(_grainType, _grainKey, _stateName, cancellationToken);
        _metrics.Read(Stopwatch.GetElapsedTime(started));
        if (stored is not null)
        {
            State = StateJson.Deserialize<TState>(stored.Json);
            Version = stored.Version;
        }
    }

    Task ILifecycleObserver.OnStop(CancellationToken cancellationToken) => Task.CompletedTask;

    public void AppendToJournal<TEntry>(string kind, TEntry entry)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        var json = StateJson.SerializeToUtf8Bytes(entry);
        StorableText.EnsureStorableJson(json, kind);
        _journal.Add(new JournalRecord(kind, json));
    }

    public Task<IReadOnlyList<StoredJournalRecord>> ReadJournalAsync(string kind, long afterSequence, int limit) =>
        _store.ReadJournalAsync(_grainType, _grainKey, _stateName, kind, afterSequence, limit, CancellationToken.None);

    public Task WriteStateAsync()
    {
        if (_failure is not null)
        {
            // Memory may hold changes of a failed commit: nothing may be committed from it any more.
            return Task.FromException(_failure);
        }
        // Continuations run inline when the commit completes it: they are the callers' turns on this
        // same activation, so answering a batch costs no scheduling hop per caller.
        var completion = new TaskCompletionSource();
        _pending.Add(completion);
        if (!_committing)
        {
            _committing = true;
            _ = CommitLoop();
        }
        else if (_holdRelease is { } hold && _pending.Count >= _holdUntilPending)
        {
            hold.TrySetResult();
        }
        return completion.Task;
    }

    /// <summary>Started on the activation's scheduler; its continuations come back to it, so it never runs beside a turn.</summary>
    private async Task CommitLoop()
    {
        try
        {
            while (_pending.Count > 0)
            {
                var batch = _pending;
                _pending = [];
                try
                {
                    await Commit();
                }
                catch (Exception e)
                {
                    Fail(batch, e);
                    return;
                }
                _metrics.Committed(batch.Count);
                foreach (var request in batch)
                {
                    request.TrySetResult();
                }
                await HoldForReturningCallers(batch.Count);
            }
        }
        finally
        {
            _committing = false;
        }
    }

    private async Task HoldForReturningCallers(int answered)
    {
        if (answered < HoldFromBatch || _pending.Count >= answered)
        {
            return;
        }
        _holdUntilPending = answered;
        _holdRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Task.WhenAny(_holdRelease.Task, Task.Delay(MaximumHold));
        _holdRelease = null;
    }

    private async Task Commit()
    {
        // Snapshot now, on the activation: everything requested so far is in it, state and journal alike.
        var json = StateJson.SerializeToUtf8Bytes(State);
        var journal = _journal;
        _journal = [];
        var started = Stopwatch.GetTimestamp();
        Version = await _committer.WriteAsync(_grainType, _grainKey, _stateName, json, Version, journal);
        _metrics.Wrote(Stopwatch.GetElapsedTime(started));
    }

    private void Fail(List<TaskCompletionSource> batch, Exception error)
    {
        _failure = error;
        _metrics.WriteFailed(error is InconsistentStateException);
        _logger.LogWarning("State {State} of {Grain} was not written ({Kind}: {Message}); {Callers} caller(s) fail and the activation is discarded",
            _stateName, _context.GrainId, error.GetType().Name, error.Message, batch.Count + _pending.Count);
        foreach (var request in batch.Concat(_pending))
        {
            request.TrySetException(error);
        }
        _pending.Clear();
        _journal.Clear();
        _context.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, $"state '{_stateName}' was not written: {error.Message}"));
    }
}
