using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Storefront.Tests;

/// <summary>
/// The pages as a keyboard user and a screen reader meet them: every control has a name, every visible
/// text has WCAG AA contrast on what is behind it, and a shopper finds and adds a variant with keys alone.
/// </summary>
public sealed class AccessibilityTests(StorefrontSilo silo) : IClassFixture<StorefrontSilo>
{
    /// <summary>Controls and links a screen reader could not name (no label, text, aria-label or aria-labelledby).</summary>
    private const string UnnamedControls = """
        () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
          .filter((e) => !e.closest('[hidden]'))
          .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.textContent.trim() || e.title))
          .map((e) => e.outerHTML.slice(0, 120))
        """;

    /// <summary>
    /// Visible texts below WCAG 2.2 AA contrast (4.5:1, or 3:1 for large text) against their background: the
    /// colours of the element and of its ancestors blended as the browser paints them. Disabled controls are
    /// exempt, as WCAG exempts inactive components.
    /// </summary>
    private const string LowContrastTexts = """
        () => {
          const rgba = (css) => {
            const parts = css.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0];
            return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
          };
          const over = (top, bottom) => ({
            r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
          });
          const luminance = ({ r, g, b }) => {
            const linear = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
            return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
          };
          const behind = (element) => {
            const layers = [];
            for (let e = element; e; e = e.parentElement) {
              const colour = rgba(getComputedStyle(e).backgroundColor);
              if (colour.a > 0) layers.push(colour);
              if (colour.a >= 1) break;
            }
            return layers.reverse().reduce((painted, layer) => over(layer, painted), { r: 255, g: 255, b: 255, a: 1 });
          };
          const failures = [];
          const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const checked = new Set();
          while (texts.nextNode()) {
            const element = texts.currentNode.parentElement;
            if (!texts.currentNode.textContent.trim() || checked.has(element)) continue;
            checked.add(element);
            const style = getComputedStyle(element);
            if (element.getClientRects().length === 0 || style.visibility === 'hidden' || element.closest('.visually-hidden, :disabled')) continue;
            const background = behind(element);
            const ink = over(rgba(style.color), background);
            const [light, dark] = [luminance(ink), luminance(background)].sort((x, y) => y - x);
            const ratio = (light + 0.05) / (dark + 0.05);
            const size = parseFloat(style.fontSize);
            const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
            if (ratio < (large ? 3 : 4.5)) failures.push(`${element.tagName.toLowerCase()}.${element.className} "${texts.currentNode.textContent.trim().slice(0, 40)}": ${ratio.toFixed(2)}:1`);
          }
          return failures;
        }
        """;

    [Fact]
    public async Task Every_page_names_its_controls_and_keeps_its_text_readable()
    {
        var saleId = await silo.ScheduleFlashSale();
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var page = await browser.NewShopperAsync();

        // Each page once it has drawn what it waits for (the banner of the coming sale on all but its own page).
        var banner = page.GetByRole(AriaRole.Complementary, new() { Name = "Flash sale" });
        var pages = new (string Path, ILocator Ready)[]
        {
            ("/", page.GetByRole(AriaRole.Link, new() { Name = "Kitchen" })),
            ("/category/apparel", page.Locator(".product-card").First),
            ("/search?q=merino", page.Locator(".product-card").First),
            ($"/product/{StorefrontSilo.Shirt}", page.Locator("#variant-stock")),
            ("/sign-in", page.GetByLabel("Password")),
            ("/register", page.GetByLabel("Email")),
            ($"/flash-sale/{saleId}", page.GetByRole(AriaRole.Button, new() { Name = "Join the queue" })),
            ("/no-such-page", page.GetByRole(AriaRole.Heading, new() { Level = 1 })),
        };
        // The checks themselves find what they look for: a grey-on-white line and a button with no name.
        await page.GotoAsync("/");
        await Expect(pages[0].Ready).ToBeVisibleAsync();
        await page.EvaluateAsync("() => document.querySelector('main').append(Object.assign(document.createElement('p'), { textContent: 'faint probe', style: 'color: #aaa' }), document.createElement('button'))");
        Assert.Contains(await page.EvaluateAsync<string[]>(LowContrastTexts), failure => failure.Contains("faint probe", StringComparison.Ordinal));
        Assert.Contains(await page.EvaluateAsync<string[]>(UnnamedControls), control => control.StartsWith("<button", StringComparison.Ordinal));

        foreach (var (path, ready) in pages)
        {
            await Check(page, path, ready, path.StartsWith("/flash-sale/", StringComparison.Ordinal) ? null : banner);
        }

        // The signed-in pages, with something in the cart.
        await Shopper.SignIn(page, await Shopper.NewAccount(silo));
        await page.GotoAsync($"/product/{StorefrontSilo.Shirt}");
        await Shopper.AddVariant(page, new Dictionary<string, string> { ["colour"] = "black", ["size"] = "M" }, "€25.00");
        await Check(page, "/cart", page.Locator("#cart-total"), banner);
        await Check(page, "/checkout", page.Locator("#place-order"), banner);
        await Check(page, "/orders", page.GetByRole(AriaRole.Heading, new() { Level = 1 }), banner);
        await Check(page, "/account", page.GetByRole(AriaRole.Heading, new() { Level = 1 }), banner);
    }

    private static async Task Check(IPage page, string path, ILocator ready, ILocator? banner)
    {
        await page.GotoAsync(path);
        await Expect(ready).ToBeVisibleAsync();
        if (banner is not null)
        {
            await Expect(banner).ToBeVisibleAsync();
        }
        var unnamed = await page.EvaluateAsync<string[]>(UnnamedControls);
        Assert.True(unnamed.Length == 0, $"{path}: controls without a name: {string.Join(" | ", unnamed)}");
        var faint = await page.EvaluateAsync<string[]>(LowContrastTexts);
        Assert.True(faint.Length == 0, $"{path}: text below AA contrast: {string.Join(" | ", faint)}");
    }

    [Fact]
    public async Task A_shopper_finds_picks_and_adds_a_variant_with_the_keyboard_alone()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var page = await browser.NewShopperAsync();
        await page.GotoAsync("/");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Kitchen" })).ToBeVisibleAsync();

        // From the top of the page: the skip link first, then the shop's name, then the search box.
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToBeFocusedAsync();
        var search = page.GetByRole(AriaRole.Combobox, new() { Name = "Search products" });
        await TabTo(page, search);
        await page.Keyboard.TypeAsync("meri");
        var suggestion = page.GetByRole(AriaRole.Option, new() { Name = "Merino Crew T-Shirt" });
        await Expect(suggestion).ToBeVisibleAsync();
        for (var i = 0; i < 8 && await suggestion.GetAttributeAsync("aria-selected") != "true"; i++)
        {
            await page.Keyboard.PressAsync("ArrowDown");
        }
        await Expect(suggestion).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(search).ToHaveAttributeAsync("aria-activedescendant", (await suggestion.GetAttributeAsync("id"))!);
        await page.Keyboard.PressAsync("Enter");

        var product = page.GetByRole(AriaRole.Link, new() { Name = "Merino Crew T-Shirt" });
        await Expect(product).ToBeVisibleAsync();
        await TabTo(page, product);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Merino Crew T-Shirt" })).ToBeVisibleAsync();

        // A size group is one tab stop; arrow keys move the choice, and the price follows.
        await TabTo(page, page.Locator("input[name='option-size']:checked"));
        var large = page.Locator("input[name='option-size'][value='L']");
        for (var i = 0; i < 6 && !await large.IsCheckedAsync(); i++)
        {
            await page.Keyboard.PressAsync("ArrowRight");
        }
        await Expect(large).ToBeCheckedAsync();
        await Expect(page.Locator("#variant-price")).ToHaveTextAsync("€27.50");
        await TabTo(page, page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(".add-status")).ToContainTextAsync("Added");
        await Expect(page.Locator("#cart-count")).ToHaveTextAsync("1");
    }

    /// <summary>Presses Tab until <paramref name="target"/> has the focus (at most 60 times: the pages are short).</summary>
    private static async Task TabTo(IPage page, ILocator target)
    {
        for (var presses = 0; presses < 60; presses++)
        {
            if (await target.EvaluateAsync<bool>("element => element === document.activeElement"))
            {
                return;
            }
            await page.Keyboard.PressAsync("Tab");
        }
        Assert.Fail($"Tab never reached {target}.");
    }
}
