using Commerce.Runtime.Hosting;
using Commerce.Runtime.Messaging;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Cluster;

/// <summary>
/// This silo's place in the membership table. It joins (a new generation each start), heartbeats,
/// probes a few peers over their silo connections, and votes a peer dead after enough missed
/// probes; enough votes declare it dead. A silo that finds itself declared dead stops serving and
/// rejoins as a new generation — anything its old incarnation still tries to write is fenced off.
/// </summary>
internal sealed class ClusterMembership(IMembershipTable table, ConnectionRegistry connections, ClusterOptions options, ILogger logger)
{
    private readonly Dictionary<string, int> _missedProbes = new(StringComparer.Ordinal);
    private MembershipSnapshot _view = new(0, []);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>This incarnation's id, address:port@generation.</summary>
    public string SiloId { get; private set; } = "";

    public MembershipSnapshot View => Volatile.Read(ref _view);

    /// <summary>Ids of the silos that take partitions: active ones.</summary>
    public IReadOnlyList<string> ActiveSilos => [.. View.Silos.Where(s => s.Status == SiloStatus.Active).Select(s => s.SiloId)];

    public bool IsShuttingDown { get; private set; }

    /// <summary>Raised (on the membership loop) when this silo was declared dead and must drop everything it served.</summary>
    public event Func<Task>? DeclaredDead;

    /// <summary>Completes at the next change of the membership view.</summary>
    public Task NextChange => Volatile.Read(ref _changed).Task;

    public async Task JoinAsync(int port, CancellationToken cancellationToken)
    {
        var generation = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        SiloId = SiloEntry.MakeId(options.AdvertisedAddress, port, generation);
        await ChangeAsync(snapshot =>
        {
            // Earlier incarnations on this address and port are gone for good.
            var stale = snapshot.Silos.Where(s => s.Address == options.AdvertisedAddress && s.SiloPort == port && s.Status != SiloStatus.Dead)
                .Select(s => s with { Status = SiloStatus.Dead });
            var now = DateTimeOffset.UtcNow;
            return [.. stale, new SiloEntry(SiloId, options.AdvertisedAddress, port, options.HttpPort, generation, SiloStatus.Active, now, now, [])];
        }, cancellationToken);
        logger.LogInformation("Silo {Silo} joined the cluster", SiloId);
    }

    /// <summary>Marks this silo as leaving: its partitions go to the others.</summary>
    public async Task BeginLeavingAsync(CancellationToken cancellationToken)
    {
        IsShuttingDown = true;
        await ChangeAsync(snapshot => snapshot.Find(SiloId) is { Status: SiloStatus.Active } me ? [me with { Status = SiloStatus.ShuttingDown }] : [], cancellationToken);
    }

    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        await ChangeAsync(snapshot => snapshot.Find(SiloId) is { } me ? [me with { Status = SiloStatus.Dead }] : [], cancellationToken);
        logger.LogInformation("Silo {Silo} left the cluster", SiloId);
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var snapshot = await table.ReadAsync(cancellationToken);
        var previous = Interlocked.Exchange(ref _view, snapshot);
        if (previous.Version != snapshot.Version)
        {
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>Heartbeat, refresh, self-check and probes, every probe interval, until the silo stops.</summary>
    public Task RunAsync(CancellationToken stopping) =>
        BackgroundLoop.RunAsync(options.ProbeInterval, RoundAsync, logger, $"Membership round of {SiloId}", stopping);

    private async Task RoundAsync(CancellationToken stopping)
    {
        await table.HeartbeatAsync(SiloId, stopping);
        await RefreshAsync(stopping);
        if (View.Find(SiloId) is { Status: SiloStatus.Dead } && !IsShuttingDown)
        {
            await RejoinAfterDeathAsync(stopping);
            return;
        }
        await ProbePeersAsync(stopping);
    }

    private async Task RejoinAfterDeathAsync(CancellationToken stopping)
    {
        logger.LogCritical("Silo {Silo} was declared dead by its peers: it stops serving and rejoins as a new generation", SiloId);
        if (DeclaredDead is { } handler)
        {
            await handler();
        }
        connections.CloseAll($"Silo {SiloId} was declared dead.");
        var port = View.Find(SiloId)?.SiloPort ?? 0;
        _missedProbes.Clear();
        await JoinAsync(port, stopping);
        await RefreshAsync(stopping);
    }

    /// <summary>Probes the next few active silos after this one on the ring of ids.</summary>
    private async Task ProbePeersAsync(CancellationToken stopping)
    {
        var serving = View.Silos.Where(s => s.IsServing).OrderBy(s => s.SiloId, StringComparer.Ordinal).ToList();
        var me = serving.FindIndex(s => s.SiloId == SiloId);
        var targets = new List<SiloEntry>();
        for (var i = 1; i < serving.Count && targets.Count < options.ProbedPeers; i++)
        {
            targets.Add(serving[(Math.Max(me, 0) + i) % serving.Count]);
        }
        var results = await Task.WhenAll(targets.Select(ProbeAsync));
        foreach (var (target, answered) in targets.Zip(results))
        {
            if (answered)
            {
                _missedProbes.Remove(target.SiloId);
                continue;
            }
            var missed = _missedProbes[target.SiloId] = _missedProbes.GetValueOrDefault(target.SiloId) + 1;
            logger.LogWarning("Silo {Target} missed probe {Missed} of {Limit} from {Silo}", target.SiloId, missed, options.MissedProbesLimit, SiloId);
            if (missed >= options.MissedProbesLimit)
            {
                await VoteDeadAsync(target.SiloId, stopping);
            }
        }
        foreach (var gone in _missedProbes.Keys.Except(targets.Select(t => t.SiloId)).ToList())
        {
            _missedProbes.Remove(gone);
        }
    }

    private async Task<bool> ProbeAsync(SiloEntry target)
    {
        try
        {
            var connection = await connections.GetAsync(target.SiloId, target.Address, target.SiloPort).WaitAsync(options.ProbeTimeout);
            return await connection.PingAsync(options.ProbeTimeout);
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Adds this silo's vote; with enough fresh votes the target is declared dead.</summary>
    private Task VoteDeadAsync(string target, CancellationToken stopping) =>
        ChangeAsync(snapshot =>
        {
            if (snapshot.Find(target) is not { } suspect || suspect.Status == SiloStatus.Dead)
            {
                return [];
            }
            var now = DateTimeOffset.UtcNow;
            var window = options.ProbeInterval * options.MissedProbesLimit * 2;
            var votes = suspect.Suspicions.Where(v => v.Voter != SiloId && now - v.At < window).Append(new Suspicion(SiloId, now)).ToList();
            var voters = snapshot.Silos.Count(s => s.IsServing && s.SiloId != target);
            var needed = Math.Max(1, Math.Min(options.VotesForDeathDeclaration, voters));
            var dead = votes.Count >= needed;
            if (dead)
            {
                logger.LogWarning("Silo {Target} declared dead with {Votes} votes", target, votes.Count);
            }
            return [suspect with { Suspicions = votes, Status = dead ? SiloStatus.Dead : suspect.Status }];
        }, stopping);

    /// <summary>Applies a change against the current version, re-reading and retrying when someone else changed the table first.</summary>
    private async Task ChangeAsync(Func<MembershipSnapshot, IReadOnlyList<SiloEntry>> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var snapshot = await table.ReadAsync(cancellationToken);
            var entries = change(snapshot);
            var version = snapshot.Version;
            var written = true;
            foreach (var entry in entries)
            {
                if (!await table.TryWriteAsync(entry, version, cancellationToken))
                {
                    written = false;
                    break;
                }
                version++;
            }
            if (written)
            {
                await RefreshAsync(cancellationToken);
                return;
            }
            if (attempt == 20)
            {
                throw new InvalidOperationException("The membership table kept changing under this silo's update.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(10 * (attempt + 1)), cancellationToken);
        }
    }
}
