using Commerce.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Storefront.Tests;

/// <summary>
/// Debian's headless Chromium driven by Playwright (never a browser of Playwright's own). Each
/// <see cref="NewShopperAsync"/> is a fresh browser context: its own storage, so its own customer.
/// Screenshots go to artifacts/storefront/ at a desktop (1280×800) and a phone (390×844) width.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private const string Chromium = "/usr/bin/chromium";

    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };

    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly Uri _baseAddress;

    private Browser(IPlaywright playwright, IBrowser browser, Uri baseAddress)
    {
        _playwright = playwright;
        _browser = browser;
        _baseAddress = baseAddress;
    }

    public static async Task<Browser> LaunchAsync(Uri baseAddress)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (deploy/test installs it).");
        SetDefaultExpectTimeout(20_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return new Browser(playwright, browser, baseAddress);
    }

    /// <summary>A new shopper (own cookies and localStorage) with one page, at <paramref name="viewport"/> (desktop by default).</summary>
    public async Task<IPage> NewShopperAsync(ViewportSize? viewport = null)
    {
        var context = await _browser.NewContextAsync(new() { BaseURL = _baseAddress.ToString(), ViewportSize = viewport ?? Desktop, Locale = "en-GB" });
        var page = await context.NewPageAsync();
        // What the page says went wrong goes to the test log, to read when a test fails.
        page.PageError += (_, error) => Console.Error.WriteLine($"page error: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                Console.Error.WriteLine($"page console {message.Type}: {message.Text}");
            }
        };
        return page;
    }

    /// <summary>
    /// NAME-desktop.png and NAME-phone.png of the page as it is now: the phone shot resizes the same page and
    /// waits for <paramref name="ready"/> again, then the desktop size comes back.
    /// </summary>
    public static async Task ScreenshotsAsync(IPage page, string name, ILocator ready)
    {
        foreach (var (viewport, width) in new[] { (Desktop, "desktop"), (Phone, "phone") })
        {
            await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
            await Expect(ready).ToBeVisibleAsync();
            // From the top, nothing focused: the picture a shopper sees on arriving (a sticky header stays at the top).
            await page.EvaluateAsync("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }");
            var path = Path.Combine(Repository.Root, "artifacts", "storefront", $"{name}-{width}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await page.ScreenshotAsync(new() { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
            Assert.True(new FileInfo(path).Length > 10_000, $"The screenshot {path} is empty.");
        }
        await page.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
