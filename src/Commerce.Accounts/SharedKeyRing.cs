using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Commerce.Persistence;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Accounts;

/// <summary>
/// The data-protection key ring in PostgreSQL (<c>data_protection_keys</c>), under one fixed application
/// name: every process of the cluster, whatever machine, home folder or working directory it runs from,
/// signs and reads tokens with the same keys. Key rotation adds a key; the old ones stay, so tokens
/// they signed stay valid until they expire.
/// </summary>
public sealed class SharedKeyRing(NpgsqlDataSource dataSource) : IXmlRepository
{
    /// <summary>Data protection isolates applications by name; the default follows the content root, which differs per machine.</summary>
    public const string ApplicationName = "commerce";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = dataSource.CreateCommand("SELECT xml FROM data_protection_keys ORDER BY created_at, friendly_name");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        // Two processes may create a key at the same moment: both keys are kept, each under its own id.
        using var command = dataSource.CreateCommand("INSERT INTO data_protection_keys (friendly_name, xml) VALUES ($1, $2) ON CONFLICT (friendly_name) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = friendlyName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = element.ToString(SaveOptions.DisableFormatting) });
        command.ExecuteNonQuery();
    }
}

public static class SharedKeyRingServiceCollectionExtensions
{
    /// <summary>Data protection with the key ring in PostgreSQL and the fixed application name; needs the PostgreSQL data source.</summary>
    public static IServiceCollection AddSharedKeyRing(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(SharedKeyRing.ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider =>
            new ConfigureOptions<KeyManagementOptions>(options => options.XmlRepository = new SharedKeyRing(provider.GetRequiredService<NpgsqlDataSource>())));
        services.AddPostgresMigrations(typeof(SharedKeyRing).Assembly, "accounts");
        return services;
    }
}
