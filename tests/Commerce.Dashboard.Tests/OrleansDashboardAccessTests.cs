using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Gateway.Dashboard;
using Commerce.Testing;

namespace Commerce.Dashboard.Tests;

/// <summary>
/// Orleans' own dashboard at /orleans-dashboard is unauthenticated out of the box: here it answers
/// operators only, with their bearer token or with the cookie the commerce dashboard's link sets.
/// </summary>
public sealed class OrleansDashboardAccessTests(DashboardSilo silo) : IClassFixture<DashboardSilo>
{
    /// <summary>The page, its assets and JSON endpoints that answer 200 to an operator ({silo}: the silo's address).</summary>
    private static readonly string[] ServedPaths =
    [
        "/orleans-dashboard/",
        "/orleans-dashboard/index.html",
        "/orleans-dashboard/index.min.js",
        "/orleans-dashboard/version",
        "/orleans-dashboard/DashboardCounters",
        "/orleans-dashboard/ClusterStats",
        "/orleans-dashboard/Reminders",
        "/orleans-dashboard/TopGrainMethods",
        "/orleans-dashboard/GrainTypes",
        "/orleans-dashboard/LifecycleStages",
        "/orleans-dashboard/HistoricalStats/{silo}",
        "/orleans-dashboard/SiloProperties/{silo}",
        "/orleans-dashboard/SiloStats/{silo}",
        "/orleans-dashboard/SiloCounters/{silo}",
    ];

    /// <summary>Refused without an operator, besides the above: the bare path (a redirect for operators), the endless log stream, grain state, fonts.</summary>
    private static readonly string[] OtherGuardedPaths =
    [
        "/orleans-dashboard",
        "/orleans-dashboard/Trace",
        "/orleans-dashboard/GrainState?grainId=SkuInventory/x&grainType=SkuInventory",
        "/orleans-dashboard/fonts/any.woff2",
    ];

    public static TheoryData<string> Served() => Rows(ServedPaths);

    public static TheoryData<string> Guarded() => Rows([.. ServedPaths, .. OtherGuardedPaths]);

    private static TheoryData<string> Rows(IEnumerable<string> paths)
    {
        var rows = new TheoryData<string>();
        foreach (var path in paths)
        {
            rows.Add(path);
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Guarded))]
    public async Task Anonymous_and_customer_requests_are_refused(string path)
    {
        var target = await Resolve(path);
        using var anonymous = silo.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(target, HttpCompletionOption.ResponseHeadersRead)).StatusCode);
        using var customer = await silo.Customer();
        Assert.Equal(HttpStatusCode.Forbidden, (await customer.GetAsync(target, HttpCompletionOption.ResponseHeadersRead)).StatusCode);
        // A customer's token in the cookie is no better than in the header.
        var customerToken = customer.DefaultRequestHeaders.Authorization!.Parameter!;
        using var customerCookie = silo.WithCookie($"{OrleansDashboardAccess.CookieName}={customerToken}");
        Assert.Equal(HttpStatusCode.Forbidden, (await customerCookie.GetAsync(target, HttpCompletionOption.ResponseHeadersRead)).StatusCode);
        using var forged = silo.WithCookie($"{OrleansDashboardAccess.CookieName}=not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync(target, HttpCompletionOption.ResponseHeadersRead)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Served))]
    public async Task An_operator_is_served_with_the_bearer_token_and_with_the_cookie(string path)
    {
        var target = await Resolve(path);
        using var operators = await silo.Operator();
        var withBearer = await operators.GetAsync(target);
        Assert.Equal(HttpStatusCode.OK, withBearer.StatusCode);
        using var withCookie = silo.WithCookie(await DashboardSilo.OrleansDashboardCookie(operators));
        var response = await withCookie.GetAsync(target);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(withBearer.Content.Headers.ContentType?.MediaType, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_orleans_dashboard_json_shows_this_cluster()
    {
        using var operators = await silo.Operator();
        using var withCookie = silo.WithCookie(await DashboardSilo.OrleansDashboardCookie(operators));
        var siloAddress = await SiloAddress();
        var counters = await Eventually.Value(
            () => withCookie.GetFromJsonAsync<JsonElement>("/orleans-dashboard/DashboardCounters"),
            c => c.GetProperty("totalActiveHostCount").GetInt32() == 1 && c.GetProperty("totalActivationCount").GetInt32() > 0,
            "Orleans' dashboard counting this silo and its activations", TimeSpan.FromSeconds(30), c => c.ToString());
        Assert.Contains(siloAddress, counters.GetProperty("hosts").ToString());
    }

    [Fact]
    public async Task The_cookie_is_http_only_strict_scoped_to_orleans_dashboard_and_read_nowhere_else()
    {
        using var operators = await silo.Operator();
        var setCookie = await DashboardSilo.OrleansDashboardCookie(operators);
        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
        Assert.StartsWith(OrleansDashboardAccess.CookieName + "=", setCookie, StringComparison.Ordinal);
        Assert.Contains("path=/orleans-dashboard", attributes);
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains(attributes, a => a.StartsWith("expires=", StringComparison.Ordinal));

        // Sent by a careless client to the API, the cookie is not a credential there.
        using var withCookie = silo.WithCookie(setCookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withCookie.GetAsync("/api/v1/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withCookie.PostAsync("/api/v1/dashboard/orleans-session", null)).StatusCode);

        // Only operators get one, and signing out removes it.
        using var customer = await silo.Customer();
        Assert.Equal(HttpStatusCode.Forbidden, (await customer.PostAsync("/api/v1/dashboard/orleans-session", null)).StatusCode);
        using var anonymous = silo.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/v1/dashboard/orleans-session", null)).StatusCode);
        var removed = await operators.DeleteAsync("/api/v1/dashboard/orleans-session");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        var expired = Assert.Single(removed.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(OrleansDashboardAccess.CookieName + "=;", expired, StringComparison.Ordinal);
        Assert.Contains("expires=Thu, 01 Jan 1970", expired, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<string> Resolve(string path) =>
        path.Contains("{silo}", StringComparison.Ordinal) ? path.Replace("{silo}", await SiloAddress(), StringComparison.Ordinal) : path;

    /// <summary>This silo's address as Orleans writes it (the commerce dashboard's servedBy).</summary>
    private async Task<string> SiloAddress()
    {
        using var operators = await silo.Operator();
        var view = await DashboardSilo.WaitForView(operators, v => v.ServedBy is not null, "the silo serving it");
        return view.ServedBy!;
    }
}
