using Orleans;
using Commerce.Testing.Postgres;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Commerce.Testing.Silo;

/// <summary>
/// The real silo host (its Program) on Kestrel at 127.0.0.1 on a free port, on a fresh PostgreSQL
/// database, not clustered (parallel test classes would share the silo port). Derived fixtures add
/// the settings their tests need.
/// </summary>
public abstract class SiloServer : IAsyncLifetime
{
    private PostgresTestDatabase? _database;
    private WebApplicationFactory<Program>? _factory;

    /// <summary>Settings on top of the database, the disabled clustering and quiet logs.</summary>
    protected abstract IDictionary<string, string?> Settings { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    public virtual async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Commerce:Postgres:ConnectionString"] = _database.ConnectionString,
            ["Commerce:Cluster:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
            // A free port chosen by the operating system, so that servers of parallel test classes never collide.
            web.UseUrls("http://127.0.0.1:0");
        });
        _factory.UseKestrel();
        _factory.StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
