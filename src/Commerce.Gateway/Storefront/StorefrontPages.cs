using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Storefront;

/// <summary>
/// The shoppers' web app at <c>/</c>. It routes in the browser, so every page URL (no file
/// extension) answers index.html and the app shows the page; files are the build's. Paths of the
/// backend are never the storefront's, so they keep their own answers (404, 405) for a wrong URL.
/// </summary>
internal static class StorefrontPages
{
    /// <summary>Vite names these files by their content: a changed file is a new URL, so browsers may keep them for good.</summary>
    private const string HashedAssetCache = "public, max-age=31536000, immutable";

    /// <summary>Any path but the backend's first segments (\x2F is '/', which a route template cannot hold).</summary>
    private const string NotBackend = @"^(?!(api|hubs|dashboard|orleans-dashboard|openapi|health)(\x2F|$))";

    public static IEndpointRouteBuilder MapStorefront(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", (HttpContext context, StorefrontAssets assets) => Serve(context, assets, "")).ExcludeFromDescription();
        routes.MapGet($"/{{**path:regex({NotBackend})}}", (string path, HttpContext context, StorefrontAssets assets) => Serve(context, assets, path))
            .ExcludeFromDescription();
        return routes;
    }

    private static IResult Serve(HttpContext context, StorefrontAssets assets, string path)
    {
        if (Path.HasExtension(path))
        {
            return assets.Find(path) is { } file
                ? EmbeddedAssets.Serve(context, file, path.StartsWith("assets/", StringComparison.Ordinal) ? HashedAssetCache : "no-cache")
                : TypedResults.NotFound();
        }
        // The build always holds index.html: the csproj fails without it.
        return EmbeddedAssets.Serve(context, assets.Find("index.html")!, "no-cache");
    }
}
