using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Commerce.Gateway.Dashboard;

/// <summary>
/// Orleans' own dashboard (<c>MapOrleansDashboard</c>) is mapped under <see cref="Path"/> for
/// operators only. Its page and scripts are static and fetch their JSON without headers of ours, so a
/// browser cannot send the bearer token there: the signed-in commerce dashboard first posts to
/// <c>/api/v1/dashboard/orleans-session</c> (bearer, operator only), which puts the operator's token
/// in an HttpOnly, SameSite=Strict cookie scoped to <see cref="Path"/>, and the bearer handler
/// reads the token from that cookie for requests under <see cref="Path"/> only
/// (<see cref="CookieToken"/>). Everywhere else the cookie is neither sent nor read.
/// </summary>
public static class OrleansDashboardAccess
{
    public const string Path = "/orleans-dashboard";

    public const string CookieName = "commerce-orleans-dashboard";

    /// <summary>The operator token of a request under <see cref="Path"/> that carries no Authorization header; null otherwise.</summary>
    public static string? CookieToken(HttpRequest request) =>
        request.Path.StartsWithSegments(Path)
        && !request.Headers.ContainsKey(HeaderNames.Authorization)
        && request.Cookies.TryGetValue(CookieName, out var token) && !string.IsNullOrEmpty(token)
            ? token
            : null;

    /// <summary>The session endpoints, in the operator-only dashboard API group.</summary>
    internal static void MapOrleansDashboardSession(this RouteGroupBuilder api)
    {
        api.MapPost("/orleans-session", Open)
            .WithName("OpenOrleansDashboardSession")
            .WithSummary($"Lets this browser open Orleans' dashboard at {Path}: sets an HttpOnly cookie with the caller's operator token, sent only to {Path}");
        api.MapDelete("/orleans-session", Close)
            .WithName("CloseOrleansDashboardSession")
            .WithSummary($"Removes the cookie that lets this browser open {Path} (signing out of the dashboard)");
    }

    private static async Task<NoContent> Open(HttpRequest request, HttpResponse response)
    {
        // The operator policy let the request in, so it carries a valid bearer token in its header.
        var token = request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        var expires = (await request.HttpContext.AuthenticateAsync()).Properties?.ExpiresUtc;
        response.Cookies.Append(CookieName, token, Options(request, expires));
        return TypedResults.NoContent();
    }

    private static NoContent Close(HttpRequest request, HttpResponse response)
    {
        response.Cookies.Delete(CookieName, Options(request, expires: null));
        return TypedResults.NoContent();
    }

    private static CookieOptions Options(HttpRequest request, DateTimeOffset? expires) => new()
    {
        Path = Path,
        HttpOnly = true,
        SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict,
        Secure = request.IsHttps,
        Expires = expires, // no longer than the token itself is valid
    };
}
