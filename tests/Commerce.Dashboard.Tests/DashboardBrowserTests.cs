using Microsoft.Extensions.DependencyInjection;
using Commerce.Accounts;
using System.Text.RegularExpressions;
using Commerce.Grains;
using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Runtime.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Dashboard.Tests;

/// <summary>
/// The dashboard in Debian's headless Chromium driven by Playwright (never a browser of Playwright's
/// own): an operator signs in, sees the silo, a grain type appear after grain calls, and a flash
/// sale's counters move. A screenshot is kept in artifacts/dashboard/.
/// </summary>
public sealed class DashboardBrowserTests(DashboardSilo silo) : IClassFixture<DashboardSilo>
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task An_operator_signs_in_and_watches_the_silo_its_grains_and_a_flash_sale_move()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (deploy/test installs it).");
        SetDefaultExpectTimeout(20_000);
        using var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("dashboard-chromium-");
        try
        {
            await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new()
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                ViewportSize = new() { Width = 1400, Height = 1000 },
            });
            var page = browser.Pages.FirstOrDefault() ?? await browser.NewPageAsync();
            await page.GotoAsync(new Uri(silo.BaseAddress, "/dashboard").ToString());

            var email = $"operator-{Guid.NewGuid():N}@example.test";
            await silo.Services.GetRequiredService<AccountStore>().Register(email, "dashboard operator password", AccountRole.Operator);
            await page.FillAsync("#operator-email", email);
            await page.FillAsync("#operator-password", "not the password");
            await page.ClickAsync("#sign-in-form button[type=submit]");
            await Expect(page.Locator("#sign-in-error")).Not.ToBeEmptyAsync();
            await page.FillAsync("#operator-password", "dashboard operator password");
            await page.ClickAsync("#sign-in-form button[type=submit]");
            await Expect(page.Locator("#silos tbody tr")).ToHaveCountAsync(1);
            await Expect(page.Locator("#silos")).ToContainTextAsync("Active");

            var sku = "browser-sku-" + Guid.NewGuid().ToString("N")[..6];
            var inventory = silo.Grains.GetGrain<ISkuInventoryGrain>(sku);
            await inventory.Receive(new ReceiveStock("north", 100, "test"));
            for (var i = 0; i < 20; i++)
            {
                await inventory.Reserve(new ReserveStock($"hold-{i}", 1));
            }
            await Expect(page.Locator("#grain-types")).ToContainTextAsync("SkuInventory");

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
            var (queue, admitted, sold, remaining) = (row.Locator("td").Nth(2), row.Locator("td").Nth(3), row.Locator("td").Nth(4), row.Locator("td").Nth(5));
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
            await Expect(sold).ToHaveTextAsync(bought.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Expect(remaining).ToHaveTextAsync((30 - bought).ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Expect(page.Locator("#hot-skus")).ToContainTextAsync(sku);

            var orderSku = await silo.SkuForSale(stock: 5);
            await silo.PlaceOrder(orderSku, DashboardSilo.Visa);
            var declined = await silo.PlaceOrder(orderSku, DashboardSilo.DeclinedCard);
            await Expect(page.Locator("#orders")).ToContainTextAsync("Confirmed");
            await Expect(page.Locator("#payments")).ToContainTextAsync(declined);

            // A few more seconds of points so the charts in the screenshot have lines.
            await page.WaitForTimeoutAsync(3000);
            var screenshot = Path.Combine(Repository.Root, "artifacts", "dashboard", "dashboard.png");
            Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
            await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
            Assert.True(new FileInfo(screenshot).Length > 10_000, "The screenshot is empty.");
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
