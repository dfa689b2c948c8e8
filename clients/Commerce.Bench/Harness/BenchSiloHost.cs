using Commerce.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.Bench.Harness;

/// <summary>
/// The <c>bench-silo</c> command: a silo for the bench's own grains (the <c>grain-lean</c> what-if),
/// configured as the product's (<see cref="CommerceCluster.AddCommerceSilo"/>: ADO.NET clustering, grain
/// state and reminders on PostgreSQL, the grain-call filters) without the product's grains or gateway.
/// It is started as a <c>SiloProcess</c> (<c>SiloProcessOptions.Program</c>), like the product silo, so
/// calls to it cross loopback TCP from a cluster client exactly as calls to the product silo do; it
/// answers <c>GET /health</c> once the silo runs.
/// </summary>
internal static class BenchSiloHost
{
    public const string Command = "bench-silo";

    public static async Task<int> RunAsync(string urls)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls(urls);
        builder.UseOrleans(silo => silo.AddCommerceSilo(builder.Configuration));
        builder.Services.AddHealthChecks();
        var app = builder.Build();
        app.MapHealthChecks("/health");
        await app.RunAsync();
        return 0;
    }
}
