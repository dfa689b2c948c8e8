using Commerce.Gateway;
using Commerce.Grains;
using Commerce.Hosting;

// One process: an Orleans silo (grains on PostgreSQL) with the REST gateway, the SignalR hubs and
// the operator pages. With Commerce:Gateway:SiloEnabled false it is a gateway only, calling the
// cluster's silos as an Orleans cluster client.
// The content root is where the silo's files are, not the working directory: a silo started from
// anywhere reads the same appsettings.json.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

if (builder.Configuration.GetValue("Commerce:Gateway:SiloEnabled", true))
{
    builder.UseOrleans(silo => silo.AddCommerceSilo(builder.Configuration));
    builder.Services.AddCommerceGrains();
}
else
{
    builder.UseOrleansClient(client => client.AddCommerceClient(builder.Configuration));
}
builder.Services.AddCommerceTelemetry(builder.Configuration);
builder.Services.AddCommerceGateway();

var app = builder.Build();
app.MapCommerceGateway();
app.Run();
