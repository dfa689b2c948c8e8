using System.Reflection;
using Commerce.Hosting;
using Commerce.Testing;
using Commerce.Testing.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans;
using Orleans.Runtime;

namespace Commerce.Persistence.Tests;

/// <summary>A remindable grain, to prove the reminders table answers Orleans' queries.</summary>
[Alias("Commerce.Tests.IWakeUpGrain")]
public interface IWakeUpGrain : IGrainWithStringKey
{
    Task Schedule(TimeSpan period);
}

[GrainType("WakeUp")]
public sealed class WakeUpGrain : Grain, IWakeUpGrain, IRemindable
{
    public Task Schedule(TimeSpan period) => this.RegisterOrUpdateReminder("wake-up", period, period);

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}

/// <summary>
/// The project's own SQL for Orleans' ADO.NET clustering, reminders and streams (streams are exercised by
/// Commerce.Grains.Tests' CatalogChangeStreamTests), checked against the real
/// providers: a silo starts on an empty database, and again on the one its predecessor migrated.
/// </summary>
public sealed class OrleansSchemaTests
{
    /// <summary>Table, column, parameter and query-key names are this version's contract; a new Orleans needs the contract checked again.</summary>
    [Fact]
    public void The_schema_is_written_for_Orleans_10_4_2()
    {
        var version = typeof(Orleans.Configuration.AdoNetClusteringSiloOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.StartsWith("10.4.2", version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_starts_on_an_empty_database_and_again_on_the_one_it_migrated()
    {
        await using var db = await PostgresTestDatabase.CreateAsync();

        var first = await StartSilo(db.ConnectionString);
        var grains = first.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IWakeUpGrain>("w1").Schedule(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await Scalar(db, "SELECT count(*) FROM orleansreminderstable"));
        Assert.Equal(1, await Scalar(db, "SELECT count(*) FROM orleansmembershiptable WHERE status = 3"));
        var applied = await Scalar(db, "SELECT count(*) FROM schema_migrations");
        Assert.Equal(4, await Scalar(db, $"SELECT count(*) FROM schema_migrations WHERE component = '{CommerceCluster.MigrationComponent}'"));
        Assert.Equal(23, await Scalar(db, "SELECT count(*) FROM orleansquery"));
        await first.StopAsync();
        first.Dispose();

        var second = await StartSilo(db.ConnectionString);
        var hosts = await second.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Single(hosts);
        await second.Services.GetRequiredService<IGrainFactory>().GetGrain<IWakeUpGrain>("w1").Schedule(TimeSpan.FromMinutes(6));
        Assert.Equal(1, await Scalar(db, "SELECT count(*) FROM orleansreminderstable"));
        Assert.Equal(applied, await Scalar(db, "SELECT count(*) FROM schema_migrations"));
        // The first silo left gracefully: its row says so, and the second one's is active.
        Assert.Equal(1, await Scalar(db, "SELECT count(*) FROM orleansmembershiptable WHERE status = 6"));
        Assert.Equal(1, await Scalar(db, "SELECT count(*) FROM orleansmembershiptable WHERE status = 3"));
        await second.StopAsync();
        second.Dispose();
    }

    private static async Task<IHost> StartSilo(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Commerce:Postgres:ConnectionString"] = connectionString,
            ["Commerce:Cluster:SiloPort"] = "0",
            ["Commerce:Cluster:GatewayPort"] = "0",
        });
        builder.UseOrleans(silo => silo.AddCommerceSilo(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<long> Scalar(PostgresTestDatabase db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
