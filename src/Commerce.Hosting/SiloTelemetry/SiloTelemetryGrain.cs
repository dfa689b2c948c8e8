using System.Collections.Concurrent;
using Orleans;
using Orleans.Concurrency;
using Orleans.Metadata;
using Orleans.Runtime;

namespace Commerce.Hosting.SiloTelemetry;

/// <summary>
/// The whole cluster's telemetry in one call, from any process with a grain factory (a silo, or a
/// gateway that is only a cluster client): <c>grains.ReadClusterTelemetry(timeout)</c>.
/// </summary>
[Alias("Commerce.ISiloTelemetryGrain")]
public interface ISiloTelemetryGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Every silo of the membership table; each active one is asked for its runtime statistics,
    /// activations and telemetry in parallel, and one that does not answer within
    /// <paramref name="perSiloTimeout"/> is reported with the reason instead of holding up the rest.
    /// </summary>
    [Alias("ReadCluster")]
    Task<ClusterTelemetry> ReadCluster(TimeSpan perSiloTimeout);
}

/// <summary>The one place that knows the fan-out grain's key.</summary>
public static class ClusterTelemetryExtensions
{
    public static Task<ClusterTelemetry> ReadClusterTelemetry(this IGrainFactory grains, TimeSpan perSiloTimeout) =>
        grains.GetGrain<ISiloTelemetryGrain>(0).ReadCluster(perSiloTimeout);
}

/// <summary>
/// The fan-out: a stateless worker, so it runs on the caller's silo (or, for a cluster client, on
/// the gateway silo it talks to) and concurrent readers never queue behind each other. Membership,
/// runtime statistics and activations come from Orleans' management grain; calls, failures and
/// storage from each silo's <see cref="ISiloTelemetryService"/>.
/// </summary>
[StatelessWorker]
[GrainType("SiloTelemetry")]
internal sealed class SiloTelemetryGrain(ISiloTelemetryServiceClient services, GrainTypeResolver grainTypes) : Grain, ISiloTelemetryGrain
{
    /// <summary>
    /// Orleans names activations by grain class (its type-name format); the dashboard by grain type.
    /// Null: one of Orleans' own grains. Classes do not change while the process runs.
    /// </summary>
    private static readonly ConcurrentDictionary<string, string?> GrainTypeByClass = new(StringComparer.Ordinal);

    public async Task<ClusterTelemetry> ReadCluster(TimeSpan perSiloTimeout)
    {
        var management = GrainFactory.GetGrain<IManagementGrain>(0);
        var members = await management.GetDetailedHosts(onlyActive: false);
        var silos = await Task.WhenAll(members.Select(member => member.Status == SiloStatus.Active
            ? ReadSilo(management, member, perSiloTimeout)
            : Task.FromResult(new SiloReading(Describe(member), null, [], null, null))));
        return new ClusterTelemetry(DateTimeOffset.UtcNow, silos);
    }

    private async Task<SiloReading> ReadSilo(IManagementGrain management, MembershipEntry member, TimeSpan timeout)
    {
        SiloAddress[] silo = [member.SiloAddress];
        var runtime = management.GetRuntimeStatistics(silo);
        var activations = management.GetSimpleGrainStatistics(silo);
        var telemetry = services.On(member.SiloAddress).Snapshot();
        var all = Task.WhenAll(runtime, activations, telemetry);
        try
        {
            await all.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            all.Ignore(); // it may still fail later; nobody waits for it any more
            return new SiloReading(Describe(member), null, [], null, $"no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e)
        {
            return new SiloReading(Describe(member), null, [], null, $"{e.GetType().Name}: {e.Message}");
        }
        var statistics = runtime.Result[0];
        var environment = statistics.EnvironmentStatistics;
        return new SiloReading(
            Describe(member),
            new SiloRuntime(statistics.ActivationCount, environment.RawCpuUsagePercentage, environment.RawMemoryUsageBytes, statistics.ClientCount, statistics.IsOverloaded),
            [.. activations.Result
                .Select(a => (GrainType: GrainTypeOf(a.GrainType), a.ActivationCount))
                .Where(a => a.GrainType is not null)
                .GroupBy(a => a.GrainType!, StringComparer.Ordinal)
                .Select(g => new GrainTypeActivations(g.Key, g.Sum(a => a.ActivationCount)))],
            telemetry.Result,
            null);
    }

    private string? GrainTypeOf(string grainClass) => GrainTypeByClass.GetOrAdd(grainClass, name =>
        Type.GetType(name, throwOnError: false) switch
        {
            null => name, // a class this silo does not have: shown as Orleans names it
            var type when OrleansGrains.IsOrleansOwn(type) => null,
            var type => grainTypes.GetGrainType(type).ToString(),
        });

    private static SiloMember Describe(MembershipEntry member) => new(
        member.SiloAddress.ToParsableString(),
        member.SiloName,
        member.SiloAddress.Endpoint.ToString(),
        member.Status.ToString(),
        new DateTimeOffset(DateTime.SpecifyKind(member.StartTime, DateTimeKind.Utc)),
        new DateTimeOffset(DateTime.SpecifyKind(member.IAmAliveTime, DateTimeKind.Utc)));
}
