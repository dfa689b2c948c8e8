using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Commerce.Accounts;
using Commerce.Gateway.Dashboard;
using Commerce.Grains;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Dashboard.Tests;

/// <summary>
/// Both dashboards in Debian's headless Chromium driven by Playwright (never a browser of
/// Playwright's own): an operator signs in to the commerce dashboard and watches the cluster, its
/// grains and a flash sale move, then opens Orleans' dashboard from its link. Screenshots are kept
/// in artifacts/screenshots/.
/// </summary>
public sealed class DashboardBrowserTests(DashboardSilo silo) : IClassFixture<DashboardSilo>
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Password = "dashboard operator password";

    [Fact]
    public async Task An_operator_signs_in_and_watches_the_silo_its_grains_and_a_flash_sale_move()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(new Uri(silo.BaseAddress, "/dashboard").ToString());

        var email = await NewOperatorAccount();
        await page.FillAsync("#operator-email", email);
        await page.FillAsync("#operator-password", "not the password");
        await page.ClickAsync("#sign-in-form button[type=submit]");
        await Expect(page.Locator("#sign-in-error")).Not.ToBeEmptyAsync();
        await page.FillAsync("#operator-password", Password);
        await page.ClickAsync("#sign-in-form button[type=submit]");
        await Expect(page.Locator("#silos tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#silos")).ToContainTextAsync("Active");
        await Expect(page.Locator("#silos")).ToContainTextAsync(new Regex(@"127\.0\.0\.1:\d+"));
        await Expect(page.Locator("#orleans-dashboard")).ToBeVisibleAsync();

        var sku = await silo.CatalogSku("browser-sku");
        var inventory = silo.Grains.GetGrain<ISkuInventoryGrain>(sku);
        await inventory.Receive(new ReceiveStock("north", 100, "test"));
        for (var i = 0; i < 20; i++)
        {
            await inventory.Reserve(new ReserveStock($"hold-{i}", 1));
        }
        var skuRow = page.Locator("#grain-types tbody tr", new() { HasText = "SkuInventory" });
        await Expect(skuRow).ToBeVisibleAsync();
        await Expect(skuRow.Locator("td").Nth(1)).Not.ToHaveTextAsync("0"); // activations, from Orleans' management grain
        await Expect(page.Locator("#methods-by-calls")).ToContainTextAsync("Reserve");

        var saleId = "browser-sale-" + Guid.NewGuid().ToString("N")[..6];
        var sale = silo.Grains.GetGrain<IFlashSaleGrain>(saleId);
        var created = await sale.Create(new CreateFlashSale(sku, 30, new Money(19.99m, "EUR"), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1),
            PerCustomerLimit: 1, AdmissionRatePerSecond: 2, TokenLifetime: null, WarehouseId: null, Actor: "test"));
        Assert.True(created.Succeeded, created.Message);
        var customers = Enumerable.Range(0, 20).Select(i => $"shopper-{i}").ToList();
        foreach (var customer in customers)
        {
            await sale.Join(customer);
        }
        var row = page.Locator("#flash-sales tbody tr", new() { HasText = saleId });
        var (queue, admitted, sold, awaitingPayment, remaining) =
            (row.Locator("td").Nth(2), row.Locator("td").Nth(3), row.Locator("td").Nth(4), row.Locator("td").Nth(5), row.Locator("td").Nth(8));
        await Expect(row).ToContainTextAsync("Live");
        // Admission at 2 per second: the queue shrinks and the admitted count grows while we watch.
        await Expect(admitted).ToHaveTextAsync(new Regex("^([4-9]|1[0-9]|20)$"));
        await Expect(queue).Not.ToHaveTextAsync("20");

        var bought = 0;
        foreach (var customer in customers.Take(3))
        {
            var place = await sale.GetQueueStatus(customer);
            var token = place.Status?.Token ?? throw new InvalidOperationException($"{customer} was not admitted yet.");
            var purchase = await sale.Purchase(new PurchaseRequest(customer, token.Value, 1, "buy-" + customer));
            Assert.True(purchase.Succeeded, purchase.Message);
            bought++;
        }
        await Expect(sold).ToHaveTextAsync(bought.ToString(CultureInfo.InvariantCulture));
        await Expect(awaitingPayment).ToHaveTextAsync(bought.ToString(CultureInfo.InvariantCulture));
        await Expect(remaining).ToHaveTextAsync((30 - bought).ToString(CultureInfo.InvariantCulture));

        var orderSku = await silo.SkuForSale(stock: 5);
        await silo.PlaceOrder(orderSku, DashboardSilo.Visa);
        var declined = await silo.PlaceOrder(orderSku, DashboardSilo.DeclinedCard);
        await Expect(page.Locator("#orders")).ToContainTextAsync("Confirmed");
        await Expect(page.Locator("#payments")).ToContainTextAsync(declined);
        await Expect(page.Locator("#payment-provider")).ToContainTextAsync("card_declined");

        // A failed grain call is listed with its grain and method.
        await Assert.ThrowsAnyAsync<ArgumentException>(() => silo.Grains.GetGrain<IFlashSaleGrain>("browser-broken-" + Guid.NewGuid().ToString("N")[..6])
            .Create(new CreateFlashSale(sku, 0, new Money(1m, "EUR"), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), 1, 1, null, null, "test")));
        await Expect(page.Locator("#errors")).ToContainTextAsync("ArgumentOutOfRangeException");

        // Charts with lines in the screenshot: wait until the server holds a few seconds of points and the page drew them.
        using var operators = await silo.Operator();
        await Eventually.True(async () => (await operators.GetFromJsonAsync<DashboardHistory>("/api/v1/dashboard/history", DashboardSilo.Json))!.Points.Count >= 8,
            "eight chart points");
        await Expect(page.Locator("#chart-calls .u-legend")).ToContainTextAsync("SkuInventory");
        await Expect(page.Locator("#chart-sell-through .u-legend")).ToContainTextAsync(saleId);
        await browser.ScreenshotAsync("dashboard.png");
    }

    [Fact]
    public async Task An_operator_opens_orleans_dashboard_from_the_commerce_dashboard_which_refuses_anyone_else()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        var orleansDashboard = new Uri(silo.BaseAddress, "/orleans-dashboard/").ToString();

        // Without the operator's cookie, the browser gets nothing of Orleans' dashboard.
        var refused = await page.GotoAsync(orleansDashboard);
        Assert.Equal(401, refused!.Status);

        var inventory = silo.Grains.GetGrain<ISkuInventoryGrain>(await silo.CatalogSku("orleans-view"));
        await inventory.Receive(new ReceiveStock("north", 10, "test"));

        await page.GotoAsync(new Uri(silo.BaseAddress, "/dashboard").ToString());
        await page.FillAsync("#operator-email", await NewOperatorAccount());
        await page.FillAsync("#operator-password", Password);
        await page.ClickAsync("#sign-in-form button[type=submit]");
        await Expect(page.Locator("#silos")).ToContainTextAsync("Active");

        var orleans = await page.RunAndWaitForPopupAsync(() => page.ClickAsync("#orleans-dashboard"));
        // The tab opens blank and navigates once the cookie is set; the URL is polled (its load event may be over before we look).
        await Expect(orleans).ToHaveURLAsync(orleansDashboard);
        await Expect(orleans.Locator("body")).ToContainTextAsync("Orleans Dashboard");
        await Expect(orleans.Locator("body")).ToContainTextAsync("Active Silos");
        await Expect(orleans.Locator("body")).ToContainTextAsync("Total Activations");
        // Its own JSON, fetched by its scripts with the cookie: the grains page lists the SKU grain class.
        await orleans.GotoAsync(orleansDashboard + "#/grains");
        await Expect(orleans.Locator("body")).ToContainTextAsync("SkuInventoryGrain");
        await Expect(orleans.Locator("#error-message-content")).ToBeEmptyAsync();
        await browser.ScreenshotAsync("orleans-dashboard.png", orleans);

        // Signing out of the commerce dashboard takes the cookie away: Orleans' dashboard refuses again.
        await page.ClickAsync("#sign-out");
        await Expect(page.Locator("#sign-in-form")).ToBeVisibleAsync();
        var afterSignOut = await orleans.GotoAsync(orleansDashboard);
        Assert.Equal(401, afterSignOut!.Status);
    }

    private async Task<string> NewOperatorAccount()
    {
        var email = $"operator-{Guid.NewGuid():N}@example.test";
        await silo.Services.GetRequiredService<AccountStore>().Register(email, Password, AccountRole.Operator);
        return email;
    }

    /// <summary>A fresh headless Chromium profile with one page; its screenshots go to artifacts/screenshots/.</summary>
    private sealed class Browser : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowserContext _context;
        private readonly DirectoryInfo _profile;

        private Browser(IPlaywright playwright, IBrowserContext context, DirectoryInfo profile, IPage page)
        {
            _playwright = playwright;
            _context = context;
            _profile = profile;
            Page = page;
        }

        public IPage Page { get; }

        public static async Task<Browser> LaunchAsync()
        {
            Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (deploy/test installs it).");
            SetDefaultExpectTimeout(20_000);
            var playwright = await Playwright.CreateAsync();
            var profile = Directory.CreateTempSubdirectory("dashboard-chromium-");
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new()
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                ViewportSize = new() { Width = 1400, Height = 1000 },
            });
            var page = context.Pages.FirstOrDefault() ?? await context.NewPageAsync();
            return new Browser(playwright, context, profile, page);
        }

        public async Task ScreenshotAsync(string name, IPage? page = null)
        {
            var path = Path.Combine(Repository.Root, "artifacts", "screenshots", name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await (page ?? Page).ScreenshotAsync(new() { Path = path, FullPage = true });
            Assert.True(new FileInfo(path).Length > 10_000, $"The screenshot {path} is empty.");
        }

        public async ValueTask DisposeAsync()
        {
            await _context.DisposeAsync();
            _playwright.Dispose();
            _profile.Delete(recursive: true);
        }
    }
}
