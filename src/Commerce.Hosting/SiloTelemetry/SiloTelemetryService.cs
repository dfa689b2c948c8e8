using Commerce.Persistence;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace Commerce.Hosting.SiloTelemetry;

/// <summary>One per silo (an Orleans grain service): that silo's grain-call and storage telemetry.</summary>
[Alias("Commerce.ISiloTelemetryService")]
internal interface ISiloTelemetryService : IGrainService
{
    [Alias("Snapshot")]
    Task<SiloTelemetrySnapshot> Snapshot();
}

/// <summary>Reaches the telemetry service of a given silo.</summary>
internal interface ISiloTelemetryServiceClient : IGrainServiceClient<ISiloTelemetryService>
{
    ISiloTelemetryService On(SiloAddress silo);
}

internal sealed class SiloTelemetryServiceClient(IServiceProvider services)
    : GrainServiceClient<ISiloTelemetryService>(services), ISiloTelemetryServiceClient
{
    public ISiloTelemetryService On(SiloAddress silo) => GetGrainService(silo);
}

/// <summary>
/// Reads this silo's counters when asked and does nothing otherwise: the counters are kept by
/// <see cref="GrainCallTelemetryFilter"/> and <see cref="StorageMetrics"/> whether anyone asks or not.
/// </summary>
internal sealed class SiloTelemetryService(
    GrainId grainId, Silo silo, ILoggerFactory loggerFactory, GrainCallStatistics calls, StorageMetrics storage, TimeProvider clock)
    : GrainService(grainId, silo, loggerFactory), ISiloTelemetryService
{
    public Task<SiloTelemetrySnapshot> Snapshot() =>
        Task.FromResult(new SiloTelemetrySnapshot(clock.GetUtcNow(), calls.Methods(), StorageTelemetry.From(storage.Totals()), calls.RecentFailures()));
}
