using System.Reflection;
using System.Security.Cryptography;

namespace Commerce.Gateway.Dashboard;

/// <summary>
/// The page's files (clients/dashboard/public, the uPlot build included), embedded in this assembly
/// at build time: every silo serves the same dashboard with no files to deploy and nothing fetched
/// from elsewhere at run time.
/// </summary>
public sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    private readonly Dictionary<string, Asset> _assets = new(StringComparer.Ordinal);

    public DashboardAssets()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var path = name[Prefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(path), out var contentType))
            {
                continue;
            }
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            _assets[path] = new Asset(content, contentType, "\"" + Convert.ToHexString(SHA256.HashData(content))[..16] + "\"");
        }
    }

    public sealed record Asset(byte[] Content, string ContentType, string ETag);

    /// <summary>The file at <paramref name="path"/> below the dashboard (e.g. "index.html", "vendor/uPlot.min.css").</summary>
    public Asset? Find(string path) => _assets.GetValueOrDefault(path);
}
