using Commerce.Grains.Inventory;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Xunit.Abstractions;

namespace Commerce.Cluster.Tests;

/// <summary>
/// Real silo processes in one Orleans cluster on one PostgreSQL, under storefront load on the product's
/// own SKU grains: a silo killed with kill -9, a silo frozen (SIGSTOP) past its death declaration and
/// resumed, and a rolling restart of every silo. After each, the books are audited from the tables.
/// Each test has a database of its own.
/// </summary>
public sealed class ClusterProcessTests(ITestOutputHelper output)
{
    private const int Workers = 32;

    /// <summary>Orleans' ClusterMembershipOptions.TableRefreshTimeout, which the product leaves at its default.</summary>
    private static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Kill_9_of_the_hot_skus_silo_under_load_loses_no_acknowledged_reservation_and_applies_none_twice()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var silos = await SiloGroup.StartAsync(database.ConnectionString, database.DataSource, "kill", 3);
        await using var client = await ClusterClient.StartAsync(database.ConnectionString);
        var plan = new StockPlan("kill", skus: 300, unitsEach: 3, hotUnits: 1_000_000);
        await plan.ReceiveAsync(client.Grains, database.DataSource);
        var hot = client.Grains.GetGrain<ISkuInventoryGrain>(plan.Hot);
        var victim = silos.Hosting(await client.HostOfAsync(hot));
        output.Report($"the hot SKU {plan.Hot} lives on {victim.Name} (silo port {victim.SiloPort}); killing it with SIGKILL under load");

        await using var load = new ReservationLoad(client.Grains, plan.Small, plan.Hot);
        load.Start(Workers);
        await load.WaitForAcknowledgedAsync(1500);

        var killedAt = load.Now;
        await victim.KillAsync();
        // The hot SKU answers again: a reservation first sent after the kill, retried with its id until answered.
        var first = await load.ReserveAsync(plan.Hot, "first-after-kill", maxBackoff: TimeSpan.FromMilliseconds(50));
        var back = load.Now - killedAt;
        Assert.True(first.Succeeded, first.Result.Message);
        var newHost = await client.HostOfAsync(hot);
        Assert.False(newHost.Is(victim), $"The hot SKU still lives on the killed silo ({newHost}).");
        await Membership.WaitForActiveAsync(database.DataSource, silos.Silos.Where(s => s != victim));
        var declaredDead = load.Now - killedAt;
        await load.WaitForMoreAsync(1000);

        var restartAt = load.Now;
        var restarted = await silos.RestartAsync(victim);
        await Membership.WaitForActiveAsync(database.DataSource, silos.Silos);
        output.Report($"{restarted.Name} restarted on the same ports as generation {(await Membership.LatestAsync(database.DataSource, restarted))!.Generation} in {(load.Now - restartAt).TotalMilliseconds:0} ms");
        await load.WaitForMoreAsync(1000);
        var end = load.Now;
        await load.StopAsync();

        var (longest, attempts) = load.LongestWait(killedAt, restartAt);
        output.Report($"kill -9: the hot SKU answered again {back.TotalMilliseconds:0} ms after the kill (from {silos.Hosting(newHost).Name}; that first reservation: {first}); " +
            $"the membership table showed only the survivors Active after {declaredDead.TotalMilliseconds:0} ms; " +
            $"the longest any caller waited for an answer after the kill: {longest.TotalMilliseconds:0} ms ({attempts} attempts; goal < 5000 ms); " +
            $"the longest stretch with no answer at all: {load.LongestSilence(killedAt, restartAt).TotalMilliseconds:0} ms; " +
            $"during the restart: longest wait {load.LongestWait(restartAt, end).Wait.TotalMilliseconds:0} ms");
        output.Report(load.Describe());
        output.Report(await InventoryAudit.VerifyAsync(database.DataSource, plan, load));
        load.AssertEveryFailureWasTransient();
    }

    [Fact]
    public async Task A_silo_frozen_past_its_death_declaration_cannot_write_when_it_wakes_and_the_cluster_goes_on()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var silos = await SiloGroup.StartAsync(database.ConnectionString, database.DataSource, "freeze", 2);
        await using var client = await ClusterClient.StartAsync(database.ConnectionString);
        var plan = new StockPlan("freeze", skus: 200, unitsEach: 3, hotUnits: 1_000_000);
        await plan.ReceiveAsync(client.Grains, database.DataSource);
        var hot = client.Grains.GetGrain<ISkuInventoryGrain>(plan.Hot);
        var victim = silos.Hosting(await client.HostOfAsync(hot));
        var survivor = silos.Silos.Single(s => s != victim);
        // A second client that only knows the victim's gateway and waits minutes for answers: what it sends
        // while the victim is frozen is still valid when the victim wakes, so it reaches the stale activation.
        await using var pinned = await ClusterClient.StartPinnedAsync(database.ConnectionString, victim, TimeSpan.FromMinutes(2));
        Assert.NotNull(await pinned.Grains.GetGrain<ISkuInventoryGrain>(plan.Hot).GetStock());

        await using var load = new ReservationLoad(client.Grains, plan.Small, plan.Hot);
        load.Start(Workers);
        await load.WaitForAcknowledgedAsync(1000);

        var frozenGeneration = (await Membership.LatestAsync(database.DataSource, victim))!.Generation;
        var frozenAt = load.Now;
        victim.Freeze();
        output.Report($"froze {victim.Name} (pid {victim.ProcessId}), host of the hot SKU, under load");
        var stale = pinned.Grains.GetGrain<ISkuInventoryGrain>(plan.Hot).Reserve(new ReserveStock("sent-to-the-frozen-silo", 1, TimeSpan.FromHours(2)));

        // The survivor declares it dead, and the hot SKU answers from the survivor; its new activation has written.
        await Eventually.Value(() => Membership.LatestAsync(database.DataSource, victim), row => row?.Status == MembershipRow.Dead,
            $"{victim.Name} declared Dead in the membership table", ClusterHarness.Patience, row => row?.ToString() ?? "no row");
        var declaredDead = load.Now - frozenAt;
        var answered = await load.ReserveAsync(plan.Hot, "first-after-freeze", maxBackoff: TimeSpan.FromMilliseconds(50));
        Assert.True(answered.Succeeded, answered.Result.Message);
        var back = load.Now - frozenAt;
        Assert.True((await client.HostOfAsync(hot)).Is(survivor), "The hot SKU answers from the survivor.");
        await load.WaitForMoreAsync(500);

        var resumedAt = load.Now;
        victim.Resume();
        output.Report($"resumed {victim.Name} {(resumedAt - frozenAt).TotalMilliseconds:0} ms after freezing it");

        // The request that waited in the frozen silo: its stale activation's write is refused by the version check
        // (or the silo kills itself before running it). Either way a clear, transient error, never a success that is lost.
        string staleOutcome;
        var staleRefused = false;
        try
        {
            var result = await stale.WaitAsync(ClusterHarness.Patience);
            staleOutcome = $"answered {result.Error}";
            if (result.Succeeded)
            {
                load.Acknowledged.GetOrAdd(plan.Hot, _ => new())["sent-to-the-frozen-silo"] = 0;
            }
        }
        catch (TimeoutException) when (!stale.IsCompleted)
        {
            throw new TimeoutException("The request sent to the frozen silo was never answered.");
        }
        catch (Exception e)
        {
            Assert.True(TransientFaults.IsExpected(e), $"The request sent to the frozen silo failed with an unclear error: {e}");
            staleRefused = e is Orleans.Storage.InconsistentStateException;
            staleOutcome = $"failed with {TransientFaults.Kind(e)}: {e.Message.ReplaceLineEndings(" ")}";
        }

        // Orleans stops a silo that finds itself declared dead; if it stayed up, it is a new generation. It finds
        // out at its next read of the membership table at the latest: within Orleans' TableRefreshTimeout (60 s;
        // the product does not change it), unless that read fell due while it was frozen.
        var exited = await victim.WaitForExitAsync(TableRefreshTimeout + TimeSpan.FromSeconds(20));
        var latest = await Membership.LatestAsync(database.DataSource, victim);
        Assert.True(exited || latest is { Status: MembershipRow.Active } && latest.Generation != frozenGeneration,
            $"{victim.Name} neither stopped nor rejoined as a new generation: {latest}");
        var stoppedAfter = load.Now - resumedAt;
        await Membership.WaitForActiveAsync(database.DataSource, exited ? [survivor] : silos.Silos);
        // The cluster goes on: the survivor keeps answering after the wake-up.
        await load.WaitForMoreAsync(1000);
        await load.StopAsync();

        var log = victim.ReadLog();
        var refusedWrites = log.Split('\n').Count(l => l.Contains("was not written (InconsistentStateException", StringComparison.Ordinal));
        output.Report($"SIGSTOP: {victim.Name} declared Dead {declaredDead.TotalMilliseconds:0} ms after the freeze; the hot SKU answered from {survivor.Name} after {back.TotalMilliseconds:0} ms (a reservation sent once it was Dead: {answered}); " +
            $"longest caller wait {load.LongestWait(frozenAt, resumedAt).Wait.TotalMilliseconds:0} ms");
        output.Report($"after SIGCONT: the request sent to the frozen silo {staleOutcome}; the frozen silo logged {refusedWrites} refused stale write(s); " +
            $"it {(exited ? $"stopped by itself (exit code {victim.ExitCode}) {stoppedAfter.TotalMilliseconds:0} ms after waking" : $"rejoined as generation {latest!.Generation}")}; " +
            $"meanwhile the longest stretch with no answer was {load.LongestSilence(resumedAt, resumedAt + stoppedAfter).TotalMilliseconds:0} ms");
        output.Report(load.Describe());
        // The scenario happened: the woken silo's stale activation did try to write (and was refused).
        Assert.True(staleRefused || refusedWrites > 0, $"{victim.Name} never tried a stale write after waking; see {victim.LogPath}.");
        output.Report(await InventoryAudit.VerifyAsync(database.DataSource, plan, load));
        load.AssertEveryFailureWasTransient();
    }

    [Fact]
    public async Task A_rolling_restart_of_every_silo_under_load_keeps_the_books_exact()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var silos = await SiloGroup.StartAsync(database.ConnectionString, database.DataSource, "rolling", 3);
        await using var client = await ClusterClient.StartAsync(database.ConnectionString);
        var plan = new StockPlan("rolling", skus: 200, unitsEach: 5, hotUnits: 1_000_000);
        await plan.ReceiveAsync(client.Grains, database.DataSource);

        await using var load = new ReservationLoad(client.Grains, plan.Small, plan.Hot);
        load.Start(Workers);
        await load.WaitForAcknowledgedAsync(500);
        var began = load.Now;
        var failedBefore = load.FailedAttempts;
        foreach (var silo in silos.Silos.ToList())
        {
            await load.WaitForMoreAsync(400);
            var stopping = load.Now;
            await silo.StopAsync();
            Assert.Equal(0, silo.ExitCode);
            var stopped = load.Now;
            var again = await silos.RestartAsync(silo);
            await Membership.WaitForActiveAsync(database.DataSource, silos.Silos);
            output.Report($"{silo.Name}: graceful stop took {(stopped - stopping).TotalMilliseconds:0} ms, back Active after {(load.Now - stopped).TotalMilliseconds:0} ms; " +
                $"{load.FailedAttempts - failedBefore} failed attempts so far");
        }
        await load.WaitForMoreAsync(500);
        var ended = load.Now;
        await load.StopAsync();

        var (longest, attempts) = load.LongestWait(began, ended);
        output.Report($"rolling restart of 3 silos under {Workers} workers: {load.FailedAttempts - failedBefore} failed attempts in {load.RetriedCalls} calls " +
            $"(the home-made runtime failed none); the longest any caller waited: {longest.TotalMilliseconds:0} ms ({attempts} attempts); " +
            $"the longest stretch with no answer: {load.LongestSilence(began, ended).TotalMilliseconds:0} ms");
        output.Report(load.Describe());
        // What Orleans guarantees: a call may fail while its silo leaves, always with a transient fault,
        // and the same call sent again is answered once; the books stay exact.
        output.Report(await InventoryAudit.VerifyAsync(database.DataSource, plan, load));
        load.AssertEveryFailureWasTransient();
    }
}
