using Commerce.Runtime.Cluster;
using Npgsql;

namespace Commerce.Runtime.PostgreSql;

/// <summary>
/// <see cref="IPartitionLeaseTable"/> over <c>partition_leases</c> (migration runtime/0004). Expiry
/// uses the database's clock, the one clock every silo shares. Changes of owner lock the lease rows
/// FOR UPDATE first, so they wait for fenced writes in flight (which hold KEY SHARE locks), and are
/// announced on a notification channel so routing tables refresh at once.
/// </summary>
public sealed class PostgresPartitionLeaseTable(NpgsqlDataSource dataSource) : IPartitionLeaseTable, IAsyncDisposable
{
    public const string Channel = "commerce_cluster";

    const string AcquireSql =
        "UPDATE partition_leases l SET owner = $1, epoch = l.epoch + 1, expires_at = now() + $3 " +
        "WHERE l.partition IN (SELECT partition FROM partition_leases WHERE partition = ANY($2) ORDER BY partition FOR UPDATE) " +
        "AND (l.owner IS NULL OR l.expires_at < now() OR NOT EXISTS (" +
        "SELECT 1 FROM cluster_silos s WHERE s.silo_id = l.owner AND s.status IN ('active', 'shutting_down'))) " +
        "RETURNING l.partition, l.epoch";

    // Every statement that touches several lease rows locks them in partition order, so two silos
    // changing overlapping sets wait for each other instead of deadlocking. Renewal takes the weaker
    // NO KEY UPDATE lock, which fenced writes (KEY SHARE) do not wait for.
    const string RenewSql =
        "UPDATE partition_leases SET expires_at = now() + $2 " +
        "WHERE partition IN (SELECT partition FROM partition_leases WHERE owner = $1 ORDER BY partition FOR NO KEY UPDATE) AND owner = $1 " +
        "RETURNING partition, epoch";

    const string ReleaseSql =
        "UPDATE partition_leases l SET owner = NULL, expires_at = '-infinity' " +
        "FROM unnest($2::int[], $3::bigint[]) AS r(partition, epoch) " +
        "WHERE l.partition IN (SELECT partition FROM partition_leases WHERE partition = ANY($2) ORDER BY partition FOR UPDATE) " +
        "AND l.partition = r.partition AND l.epoch = r.epoch AND l.owner = $1";

    const string RoutesSql =
        "SELECT l.partition, l.owner, l.epoch, s.address, s.silo_port FROM partition_leases l " +
        "JOIN cluster_silos s ON s.silo_id = l.owner WHERE s.status IN ('active', 'shutting_down')";

    const string NotifySql = "SELECT pg_notify('" + Channel + "', 'leases')";

    private readonly SemaphoreSlim _listenerGate = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NpgsqlConnection? _listener;
    private Task? _listening;
    private readonly CancellationTokenSource _disposed = new();

    public async Task<IReadOnlyList<PartitionLease>> AcquireAsync(string siloId, IReadOnlyCollection<int> partitions, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (partitions.Count == 0)
        {
            return [];
        }
        var leases = new List<PartitionLease>();
        await using var batch = dataSource.CreateBatch();
        var acquire = new NpgsqlBatchCommand(AcquireSql);
        acquire.Parameters.Add(new NpgsqlParameter<string> { TypedValue = siloId });
        acquire.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. partitions] });
        acquire.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = duration });
        batch.BatchCommands.Add(acquire);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(NotifySql));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            leases.Add(new PartitionLease(reader.GetInt32(0), siloId, reader.GetInt64(1)));
        }
        return leases;
    }

    public async Task<IReadOnlyList<PartitionLease>> RenewAsync(string siloId, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(RenewSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = siloId });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = duration });
        var leases = new List<PartitionLease>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            leases.Add(new PartitionLease(reader.GetInt32(0), siloId, reader.GetInt64(1)));
        }
        return leases;
    }

    public async Task ReleaseAsync(string siloId, IReadOnlyCollection<PartitionLease> leases, CancellationToken cancellationToken)
    {
        if (leases.Count == 0)
        {
            return;
        }
        await using var batch = dataSource.CreateBatch();
        var release = new NpgsqlBatchCommand(ReleaseSql);
        release.Parameters.Add(new NpgsqlParameter<string> { TypedValue = siloId });
        release.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. leases.Select(l => l.Partition)] });
        release.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. leases.Select(l => l.Epoch)] });
        batch.BatchCommands.Add(release);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(NotifySql));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PartitionRoute>> ReadRoutesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(RoutesSql);
        var routes = new List<PartitionRoute>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            routes.Add(new PartitionRoute(reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt32(4)));
        }
        return routes;
    }

    public async Task WaitForChangeAsync(CancellationToken cancellationToken)
    {
        await EnsureListeningAsync(cancellationToken).ConfigureAwait(false);
        await Volatile.Read(ref _changed).Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One LISTEN connection per process; a lost connection is reopened, and waiters are woken so they re-read.</summary>
    private async Task EnsureListeningAsync(CancellationToken cancellationToken)
    {
        if (_listening is not null)
        {
            return;
        }
        await _listenerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _listening ??= Task.Run(ListenLoopAsync, CancellationToken.None);
        }
        finally
        {
            _listenerGate.Release();
        }
    }

    private async Task ListenLoopAsync()
    {
        while (!_disposed.IsCancellationRequested)
        {
            try
            {
                _listener = await dataSource.OpenConnectionAsync(_disposed.Token).ConfigureAwait(false);
                _listener.Notification += (_, _) => Signal();
                await using (var listen = new NpgsqlCommand("LISTEN " + Channel, _listener))
                {
                    await listen.ExecuteNonQueryAsync(_disposed.Token).ConfigureAwait(false);
                }
                Signal();
                while (!_disposed.IsCancellationRequested)
                {
                    await _listener.WaitAsync(_disposed.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The database went away: wake waiters (they poll anyway) and reconnect after a pause.
                Signal();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _disposed.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            finally
            {
                if (_listener is not null)
                {
                    await _listener.DisposeAsync().ConfigureAwait(false);
                    _listener = null;
                }
            }
        }
    }

    private void Signal() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        if (_listening is not null)
        {
            await _listening.ConfigureAwait(false);
        }
    }
}
