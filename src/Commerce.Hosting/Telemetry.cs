using Commerce.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Commerce.Hosting;

/// <summary>
/// OpenTelemetry for the process, switched on by <c>Commerce:Telemetry:OtlpEndpoint</c> (environment
/// <c>Commerce__Telemetry__OtlpEndpoint</c>) naming an OTLP collector.
/// </summary>
public static class Telemetry
{
    /// <summary>The meters whose names the project keeps stable.</summary>
    public static readonly string[] CommerceMeters = [StorageMetrics.MeterName];

    private static readonly string[] OrleansMeters = ["Microsoft.Orleans"];

    private static readonly string[] OrleansActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    /// <summary>Where to export, from <c>Commerce:Telemetry:OtlpEndpoint</c>; null: nothing is collected for export.</summary>
    public static Uri? OtlpEndpoint(IConfiguration configuration) =>
        configuration["Commerce:Telemetry:OtlpEndpoint"] is { Length: > 0 } endpoint ? new Uri(endpoint) : null;

    /// <summary>
    /// With an OTLP endpoint: metrics and traces of Orleans, ASP.NET Core, Npgsql, the runtime and
    /// the project, exported there. Without one, nothing: an OpenTelemetry meter provider with no
    /// exporter still aggregates every measurement of Orleans' per-message instruments on the hot path.
    /// The instruments themselves are always there for dotnet-counters and in-process readers.
    /// </summary>
    public static IServiceCollection AddCommerceTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        if (OtlpEndpoint(configuration) is not { } endpoint)
        {
            return services;
        }
        services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(OrleansMeters)
                .AddMeter(CommerceMeters)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(OrleansActivitySources)
                .AddAspNetCoreInstrumentation()
                .AddNpgsql())
            .UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, endpoint);
        return services;
    }
}
