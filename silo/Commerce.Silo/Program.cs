using Commerce.Gateway;
using Commerce.Grains;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.PostgreSql;

// One process: a silo (grains on PostgreSQL) with the REST gateway and the operator pages.
var builder = WebApplication.CreateBuilder(args);

var connectionString = builder.Configuration["Commerce:Postgres:ConnectionString"]
    ?? throw new InvalidOperationException("Set Commerce:Postgres:ConnectionString (environment: Commerce__Postgres__ConnectionString); deploy/run does this for you.");

builder.Services.AddGrainRuntime(options => builder.Configuration.GetSection("Commerce:Silo").Bind(options), SiloAssemblies.Grains);
builder.Services.AddPostgresProviders(connectionString);
builder.Services.AddCommerceGrains();
builder.Services.AddCommerceGateway();

var app = builder.Build();
app.MapCommerceGateway();
app.Run();

/// <summary>The assemblies whose grain classes this silo hosts.</summary>
internal static class SiloAssemblies
{
    public static readonly System.Reflection.Assembly[] Grains = [CommerceGrains.Assembly];
}
