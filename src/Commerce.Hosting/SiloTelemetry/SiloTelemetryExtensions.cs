using Microsoft.Extensions.DependencyInjection;
using Commerce.Hosting.SiloTelemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;

// In the namespace of CommerceCluster, which calls it: registering it needs no using there.
namespace Commerce.Hosting;

public static class SiloTelemetryExtensions
{
    /// <summary>
    /// What the operator dashboard reads from a silo: the grain-call filter and its counters, the
    /// per-silo telemetry service, and (through the grain classes of this assembly) the
    /// cluster-wide <see cref="ISiloTelemetryGrain"/>. Storage figures come from the
    /// <c>StorageMetrics</c> that grain state persistence registers.
    /// </summary>
    public static ISiloBuilder AddSiloTelemetry(this ISiloBuilder silo)
    {
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddSingleton<GrainCallStatistics>();
        silo.Services.AddSingleton<ISiloTelemetryServiceClient, SiloTelemetryServiceClient>();
        silo.AddIncomingGrainCallFilter<GrainCallTelemetryFilter>();
        silo.AddGrainService<SiloTelemetryService>();
        return silo;
    }
}
