using Commerce.Catalog.Search;
using Commerce.Grains;
using Commerce.Hosting;
using Commerce.Testing;
using Npgsql;

// The product's silo configuration and grains (no HTTP gateway), consuming the catalog-change stream into a
// RecordingSearchIndex; answers GET /health once the silo runs, as SiloProcess expects.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.UseOrleans(silo => silo.AddCommerceSilo(builder.Configuration));
builder.Services.AddSingleton<ISearchIndexWriter>(services => new RecordingSearchIndex(services.GetRequiredService<NpgsqlDataSource>()));
builder.Services.AddCommerceGrains();
builder.Services.AddHealthChecks();
var app = builder.Build();
app.MapHealthChecks("/health");
app.Run();
