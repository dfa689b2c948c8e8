using Commerce.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Commerce.Hosting;

/// <summary>
/// OpenTelemetry for the process: Orleans' meters and activity sources, ASP.NET Core, Npgsql, the
/// .NET runtime and the project's own meters. Nothing is exported unless
/// <c>Commerce:Telemetry:OtlpEndpoint</c> (environment <c>Commerce__Telemetry__OtlpEndpoint</c>) names an
/// OTLP collector; the meters are there either way for in-process readers and dotnet-counters. Traces
/// are recorded only when exported: a span per grain call is not free on the hot path.
/// </summary>
public static class Telemetry
{
    /// <summary>The meters whose names the project keeps stable.</summary>
    public static readonly string[] CommerceMeters = [StorageMetrics.MeterName];

    private static readonly string[] OrleansMeters = ["Microsoft.Orleans"];

    private static readonly string[] OrleansActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    public static IServiceCollection AddCommerceTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoint = configuration["Commerce:Telemetry:OtlpEndpoint"];
        var telemetry = services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(OrleansMeters)
                .AddMeter(CommerceMeters)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation());
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(OrleansActivitySources)
                    .AddAspNetCoreInstrumentation()
                    .AddNpgsql())
                .UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, new Uri(endpoint));
        }
        return services;
    }
}
