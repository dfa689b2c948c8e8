using System.IO.Compression;
using System.Net;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Storefront.Tests;

/// <summary>The gateway serves the built storefront at / with the SPA fallback, and leaves the backend's paths alone.</summary>
public sealed class StorefrontServingTests(StorefrontSilo silo, ITestOutputHelper output) : IClassFixture<StorefrontSilo>
{
    /// <summary>Sums layout shifts not caused by input (the Cumulative Layout Shift), from the first paint on.</summary>
    private const string CountLayoutShifts = """
        window.layoutShift = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
        }).observe({ type: 'layout-shift', buffered: true });
        """;

    [Fact]
    public async Task Page_urls_answer_the_app_hashed_files_are_cached_for_good_and_backend_paths_keep_their_answers()
    {
        using var client = silo.Anonymous();
        var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Equal("text/html", home.Content.Headers.ContentType?.MediaType);
        Assert.True(home.Headers.CacheControl?.NoCache);
        var html = await home.Content.ReadAsStringAsync();
        Assert.Contains("<main id=\"main\"", html);

        // A deep link is the same page: the app routes in the browser.
        var deep = await client.GetAsync("/product/merino-tee");
        Assert.Equal(HttpStatusCode.OK, deep.StatusCode);
        Assert.Equal(html, await deep.Content.ReadAsStringAsync());

        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        Assert.NotEmpty(script);
        var asset = await client.GetAsync(script);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromDays(365), asset.Headers.CacheControl?.MaxAge);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/assets/missing-file.js")).StatusCode);
        // The backend's wrong URLs stay problems, never the app's page.
        foreach (var backend in new[] { "/api/v1/no-such-endpoint", "/api/v1/cart/accept-prices", "/hubs/nothing", "/dashboard/missing" })
        {
            var answer = await client.GetAsync(backend);
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
            Assert.NotEqual("text/html", answer.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal("application/json", (await client.GetAsync("/openapi/v1.json")).Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Contains("operator dashboard", await client.GetStringAsync("/dashboard"));
    }

    [Fact]
    public async Task The_first_page_loads_less_than_100_kB_of_gzipped_javascript_and_nothing_shifts_as_it_fills()
    {
        // A coming flash sale: its banner arrives after the page has drawn, and must move nothing.
        await silo.ScheduleFlashSale();
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var page = await browser.NewShopperAsync();
        await page.AddInitScriptAsync(CountLayoutShifts);
        var scripts = new List<IResponse>();
        page.Response += (_, response) =>
        {
            if (response.Request.ResourceType == "script")
            {
                scripts.Add(response);
            }
        };
        await page.GotoAsync("/");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Kitchen" })).ToBeVisibleAsync();
        var banner = page.GetByRole(AriaRole.Complementary, new() { Name = "Flash sale" });
        await Expect(banner).ToContainTextAsync("Starts in");

        long raw = 0, gzipped = 0;
        foreach (var script in scripts)
        {
            var body = await script.BodyAsync();
            using var packed = new MemoryStream();
            await using (var gzip = new GZipStream(packed, CompressionLevel.Optimal, leaveOpen: true))
            {
                await gzip.WriteAsync(body);
            }
            (raw, gzipped) = (raw + body.Length, gzipped + packed.Length);
        }
        output.WriteLine($"First page (home): {scripts.Count} scripts, {raw / 1024.0:0.0} kB of JavaScript, {gzipped / 1024.0:0.0} kB gzipped");
        Assert.NotEmpty(scripts);
        Assert.True(gzipped < 100 * 1024, $"The first page loads {gzipped / 1024.0:0.0} kB of gzipped JavaScript.");
        Assert.DoesNotContain(scripts, s => s.Url.Contains("signalr", StringComparison.OrdinalIgnoreCase) || s.Url.Contains("/esm-", StringComparison.Ordinal));

        var homeShift = await page.EvaluateAsync<double>("() => window.layoutShift");
        await page.GotoAsync("/category/apparel");
        await Expect(page.Locator(".product-card")).ToHaveCountAsync(2);
        var categoryShift = await page.EvaluateAsync<double>("() => window.layoutShift");
        output.WriteLine($"Layout shift: home {homeShift:0.000}, category page {categoryShift:0.000}");
        Assert.True(homeShift < 0.01, $"The home page shifted by {homeShift:0.000} as it filled.");
        Assert.True(categoryShift < 0.01, $"The category page shifted by {categoryShift:0.000} as it filled.");

        // The bar never hides the end of a page: the page has room for it below the footer.
        await Expect(banner).ToBeVisibleAsync();
        var room = await page.EvaluateAsync<double>("() => parseFloat(getComputedStyle(document.body).paddingBottom)");
        var height = await page.EvaluateAsync<double>("() => document.querySelector('.fs-banner').offsetHeight");
        Assert.True(room >= height && height > 0, $"The page keeps {room} px for a banner {height} px tall.");
        // Closed, it stays closed for the visit.
        await banner.GetByRole(AriaRole.Button, new() { Name = "Close the flash-sale banner" }).ClickAsync();
        await Expect(banner).ToBeHiddenAsync();
        await page.GotoAsync("/");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Kitchen" })).ToBeVisibleAsync();
        await Expect(page.Locator(".fs-banner")).ToBeHiddenAsync();
        Assert.Equal("", await page.EvaluateAsync<string>("() => document.body.style.paddingBottom"));
    }

    [Fact]
    public async Task The_home_page_lists_the_categories_and_links_into_them()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var page = await browser.NewShopperAsync();
        await page.GotoAsync("/");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Apparel", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Shirts" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Kitchen" })).ToBeVisibleAsync();
        await Browser.ScreenshotsAsync(page, "home", page.GetByRole(AriaRole.Link, new() { Name = "Shirts" }));
    }
}
