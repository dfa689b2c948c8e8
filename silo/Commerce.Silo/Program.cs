using Commerce.Gateway;
using Commerce.Grains;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.PostgreSql;

// One process: a silo (grains on PostgreSQL) with the REST gateway and the operator pages.
var builder = WebApplication.CreateBuilder(args);

var connectionString = builder.Configuration["Commerce:Postgres:ConnectionString"]
    ?? throw new InvalidOperationException("Set Commerce:Postgres:ConnectionString (environment: Commerce__Postgres__ConnectionString); deploy/run does this for you.");

builder.Services.AddGrainRuntime(options => builder.Configuration.GetSection("Commerce:Silo").Bind(options), SiloAssemblies.From(builder.Configuration));
builder.Services.AddPostgresProviders(connectionString);
builder.Services.AddCommerceGrains();
if (builder.Configuration.GetValue("Commerce:Cluster:Enabled", true))
{
    // Even a lone silo is a cluster of one: adding silos later needs no other change.
    builder.Services.AddPostgresClustering(options => builder.Configuration.GetSection("Commerce:Cluster").Bind(options));
}
builder.Services.AddCommerceGateway();

var app = builder.Build();
app.MapCommerceGateway();
app.Run();

/// <summary>The assemblies whose grain classes this silo hosts.</summary>
internal static class SiloAssemblies
{
    public static readonly System.Reflection.Assembly[] Grains = [CommerceGrains.Assembly];

    /// <summary>
    /// The built-in grains plus any listed in <c>Commerce:Silo:ExtraGrainAssemblies</c> (paths,
    /// separated by ';'): how a test or a plug-in adds grain classes without rebuilding the host.
    /// </summary>
    public static System.Reflection.Assembly[] From(IConfiguration configuration)
    {
        var extra = (configuration["Commerce:Silo:ExtraGrainAssemblies"] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(path => System.Reflection.Assembly.LoadFrom(Path.GetFullPath(path)));
        return [.. Grains, .. extra];
    }
}
