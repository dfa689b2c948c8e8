using System.Collections.Concurrent;
using System.Diagnostics;
using Commerce.Cluster.TestGrains;
using Commerce.Runtime;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.Testing;
using Commerce.Testing.Postgres;
using Xunit.Abstractions;

namespace Commerce.Cluster.Tests;

/// <summary>
/// Real silo processes on one PostgreSQL: kill -9 under load, a silo frozen past its lease, and a
/// rolling restart. Each test has a database of its own.
/// </summary>
public sealed class ClusterProcessTests(ITestOutputHelper output)
{
    private const string StockGrainType = nameof(StockCounterGrain);

    [Fact]
    public async Task Killing_a_silo_mid_run_loses_no_acknowledged_reservation_and_applies_none_twice()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var silos = new List<SiloProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                silos.Add(await SiloProcess.StartAsync(database.ConnectionString, $"kill-{i}", ClusterHarness.Grains));
            }
            await using var client = await ClusterHarness.StartClientAsync(database.ConnectionString);
            await ClusterHarness.WaitForBalanceAsync(database.DataSource, 3);
            var factory = client.GrainFactory;

            // 1,000 SKUs of 5 units each, and one hot SKU that never runs out.
            var skus = Enumerable.Range(0, 1000).Select(i => $"sku-{i}").ToList();
            const string hot = "sku-hot";
            await Parallel.ForEachAsync(skus, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (sku, _) => await factory.GetGrain<IStockCounterGrain>(sku).Stock(5));
            await factory.GetGrain<IStockCounterGrain>(hot).Stock(1_000_000);
            var victim = await ClusterHarness.KeyOwnedByAsync(database.DataSource, StockGrainType, silos[1], "victim");
            await factory.GetGrain<IStockCounterGrain>(victim).Stock(1_000_000);

            var acknowledged = new ConcurrentDictionary<string, ConcurrentBag<string>>();
            var refused = new ConcurrentDictionary<string, int>();
            var attemptsFailed = 0;
            using var load = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
            {
                var random = new Random(w);
                while (!load.IsCancellationRequested)
                {
                    var sku = random.Next(3) == 0 ? hot : skus[random.Next(skus.Count)];
                    var reservation = Guid.NewGuid().ToString("N");
                    // A call that failed may or may not have run: retry the same reservation id,
                    // which the grain applies at most once.
                    var reserved = await Eventually.Answered(() => factory.GetGrain<IStockCounterGrain>(sku).Reserve(reservation),
                        _ => Interlocked.Increment(ref attemptsFailed));
                    if (reserved)
                    {
                        acknowledged.GetOrAdd(sku, _ => []).Add(reservation);
                    }
                    else
                    {
                        refused.AddOrUpdate(sku, 1, (_, n) => n + 1);
                    }
                }
            })).ToList();

            await Eventually.True(() => Task.FromResult(acknowledged.Values.Sum(b => b.Count) > 2000));
            var killedAt = Stopwatch.StartNew();
            await silos[1].KillAsync();
            // Recovery: the first reservation that succeeds on a grain that lived on the killed silo.
            var victimGrain = factory.GetGrain<IStockCounterGrain>(victim);
            await Eventually.True(async () =>
            {
                try
                {
                    return await victimGrain.Reserve(Guid.NewGuid().ToString("N"));
                }
                catch (Exception)
                {
                    return false;
                }
            });
            var recovery = killedAt.Elapsed;
            output.WriteLine($"recovery after kill -9: {recovery.TotalMilliseconds:0} ms");
            Console.WriteLine($"cluster kill -9 recovery: {recovery.TotalMilliseconds:0} ms");

            var beforeRestart = acknowledged.Values.Sum(b => b.Count);
            await Eventually.True(() => Task.FromResult(acknowledged.Values.Sum(b => b.Count) > beforeRestart + 1000));
            silos[1] = await SiloProcess.StartAsync(database.ConnectionString, "kill-1-restarted", ClusterHarness.Grains);
            await ClusterHarness.WaitForBalanceAsync(database.DataSource, 3);
            var afterRestart = acknowledged.Values.Sum(b => b.Count);
            await Eventually.True(() => Task.FromResult(acknowledged.Values.Sum(b => b.Count) > afterRestart + 1000));
            await load.CancelAsync();
            await Task.WhenAll(workers);

            output.WriteLine($"{acknowledged.Values.Sum(b => b.Count)} reservations acknowledged, {attemptsFailed} attempts failed and were retried");
            foreach (var sku in skus.Append(hot))
            {
                var grain = factory.GetGrain<IStockCounterGrain>(sku);
                var (available, reserved) = await grain.Totals();
                var initial = sku == hot ? 1_000_000 : 5;
                var mine = acknowledged.TryGetValue(sku, out var bag) ? bag.ToList() : [];
                // Exactly the acknowledged reservations are held: none lost, none applied twice, none beyond the stock.
                Assert.Equal(mine.Count, reserved);
                Assert.Equal(initial, available + reserved);
                Assert.True(reserved <= initial, $"{sku} oversold");
            }
            foreach (var (sku, ids) in acknowledged)
            {
                foreach (var id in ids.Take(20))
                {
                    Assert.True(await factory.GetGrain<IStockCounterGrain>(sku).Holds(id), $"{sku} lost acknowledged reservation {id}");
                }
            }
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_silo_frozen_past_its_lease_cannot_write_after_its_partition_moved()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var a = await SiloProcess.StartAsync(database.ConnectionString, "fence-a", ClusterHarness.Grains);
        await using var b = await SiloProcess.StartAsync(database.ConnectionString, "fence-b", ClusterHarness.Grains);
        await using var client = await ClusterHarness.StartClientAsync(database.ConnectionString);
        await ClusterHarness.WaitForBalanceAsync(database.DataSource, 2);

        var key = await ClusterHarness.KeyOwnedByAsync(database.DataSource, nameof(FenceProbeGrain), b, "fence");
        var probe = client.GrainFactory.GetGrain<IFenceProbeGrain>(key);
        Assert.StartsWith(ClusterHarness.OwnerPrefix(b)!, await probe.Where());
        Assert.Equal(1, await probe.Write(1));

        // B changes the grain in memory and holds its write; freeze B while it holds it.
        var heldWrite = probe.WriteAfter(2, TimeSpan.FromSeconds(2));
        await Eventually.True(() => Task.FromResult(File.ReadAllText(b.LogPath).Contains($"Fence probe {key} holding a write")));
        b.Freeze();

        // A declares B dead and takes the partition with a new epoch; the grain answers from A with
        // the last committed value.
        var partition = PartitionMap.PartitionOf(new GrainId(nameof(FenceProbeGrain), key));
        await Eventually.True(async () =>
            (await ClusterHarness.OwnersAsync(database.DataSource, CancellationToken.None))[partition]?.StartsWith(ClusterHarness.OwnerPrefix(a)!, StringComparison.Ordinal) == true);
        Assert.Equal(1, await probe.Read());
        Assert.StartsWith(ClusterHarness.OwnerPrefix(a)!, await probe.Where());

        // B wakes up, its held write goes to PostgreSQL with the old epoch and is refused: the
        // caller gets an error, not a silent success, and the state is A's.
        b.Resume();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => heldWrite.WaitAsync(ClusterHarness.Patience));
        output.WriteLine($"held write failed with {error.GetType().Name}: {error.Message}");
        Assert.True(error is LeaseLostException or SiloUnavailableException, error.ToString());
        Assert.Equal(1, await probe.Read());
        await Eventually.True(() => Task.FromResult(File.ReadAllText(b.LogPath).Contains("is no longer leased to")));
    }

    [Fact]
    public async Task A_rolling_restart_of_every_silo_under_load_fails_no_call()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var silos = new List<SiloProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                silos.Add(await SiloProcess.StartAsync(database.ConnectionString, $"rolling-{i}", ClusterHarness.Grains));
            }
            await using var client = await ClusterHarness.StartClientAsync(database.ConnectionString);
            await ClusterHarness.WaitForBalanceAsync(database.DataSource, 3);
            var factory = client.GrainFactory;
            var skus = Enumerable.Range(0, 200).Select(i => $"rolling-{i}").ToList();
            await Parallel.ForEachAsync(skus, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (sku, _) => await factory.GetGrain<IStockCounterGrain>(sku).Stock(1_000_000));

            var acknowledged = new ConcurrentDictionary<string, int>();
            var failures = new ConcurrentQueue<Exception>();
            long calls = 0;
            using var load = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                var random = new Random(w);
                while (!load.IsCancellationRequested)
                {
                    var sku = skus[random.Next(skus.Count)];
                    try
                    {
                        Assert.True(await factory.GetGrain<IStockCounterGrain>(sku).Reserve(Guid.NewGuid().ToString("N")));
                        acknowledged.AddOrUpdate(sku, 1, (_, n) => n + 1);
                    }
                    catch (Exception e)
                    {
                        failures.Enqueue(e);
                    }
                    Interlocked.Increment(ref calls);
                }
            })).ToList();

            for (var i = 0; i < silos.Count; i++)
            {
                var before = Interlocked.Read(ref calls);
                await Eventually.True(() => Task.FromResult(Interlocked.Read(ref calls) > before + 500));
                await silos[i].StopAsync();
                await silos[i].DisposeAsync();
                silos[i] = await SiloProcess.StartAsync(database.ConnectionString, $"rolling-{i}-new", ClusterHarness.Grains);
                await ClusterHarness.WaitForBalanceAsync(database.DataSource, 3);
            }
            var end = Interlocked.Read(ref calls);
            await Eventually.True(() => Task.FromResult(Interlocked.Read(ref calls) > end + 500));
            await load.CancelAsync();
            await Task.WhenAll(workers);

            output.WriteLine($"{Interlocked.Read(ref calls)} calls during the rolling restart, {failures.Count} failed");
            Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
            foreach (var sku in skus)
            {
                var (_, reserved) = await factory.GetGrain<IStockCounterGrain>(sku).Totals();
                Assert.Equal(acknowledged.GetValueOrDefault(sku), reserved);
            }
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }
}
