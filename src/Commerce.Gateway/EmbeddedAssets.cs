using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Commerce.Gateway;

/// <summary>
/// Browser files embedded in this assembly at build time under one resource-name prefix (see the
/// csproj): every silo serves the same pages with no files to deploy and nothing fetched from
/// elsewhere at run time.
/// </summary>
public abstract class EmbeddedAssets
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
        [".woff2"] = "font/woff2",
    };

    private readonly Dictionary<string, Asset> _assets = new(StringComparer.Ordinal);

    protected EmbeddedAssets(string prefix)
    {
        var assembly = typeof(EmbeddedAssets).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var path = name[prefix.Length..];
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

    /// <summary>The file at <paramref name="path"/> below the prefix (e.g. "index.html", "assets/index-1a2b.js").</summary>
    public Asset? Find(string path) => _assets.GetValueOrDefault(path);

    /// <summary>The asset with its ETag and <paramref name="cacheControl"/>; 304 when the browser holds this version.</summary>
    public static IResult Serve(HttpContext context, Asset asset, string cacheControl)
    {
        context.Response.Headers[HeaderNames.ETag] = asset.ETag;
        context.Response.Headers[HeaderNames.CacheControl] = cacheControl;
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }
}
