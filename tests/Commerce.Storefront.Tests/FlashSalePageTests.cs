using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Storefront.Tests;

/// <summary>The flash-sale page in three browsers (three customers, one of them without the hub) racing for one unit.</summary>
public sealed class FlashSalePageTests(StorefrontSilo silo) : IClassFixture<StorefrontSilo>
{
    [Fact]
    public async Task Three_shoppers_queue_for_one_unit_the_first_buys_and_pays_and_the_others_see_sold_out()
    {
        var saleId = await silo.ScheduleFlashSale();
        using var operators = await silo.Operator();

        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var shoppers = new List<IPage>();
        for (var i = 0; i < 3; i++)
        {
            var page = await browser.NewShopperAsync(i == 2 ? Browser.Phone : null);
            shoppers.Add(page);
            if (i == 2)
            {
                // The third shopper's hub never connects: the page follows the place by polling /queue/me.
                await page.RouteAsync("**/hubs/flash-sale/negotiate**", route => route.AbortAsync());
            }
            if (i == 0)
            {
                // The banner on the home page leads to the sale.
                await page.GotoAsync("/");
                var banner = page.GetByRole(AriaRole.Complementary, new() { Name = "Flash sale" });
                await Expect(banner).ToContainTextAsync("Merino Crew T-Shirt");
                await banner.GetByRole(AriaRole.Link, new() { Name = "Go to the sale" }).ClickAsync();
            }
            else
            {
                await page.GotoAsync($"/flash-sale/{saleId}");
            }
            await Expect(page.GetByRole(AriaRole.Timer, new() { Name = "Time until the sale starts" })).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Join the queue" }).ClickAsync();
            await Expect(page.Locator(".fs-position")).ToHaveTextAsync($"Your place: number {i + 1}");
        }
        await Expect(shoppers[2].GetByText("Live updates paused")).ToBeVisibleAsync();
        // The place is the customer's: a reload asks for it again.
        await shoppers[2].ReloadAsync();
        await Expect(shoppers[2].Locator(".fs-position")).ToHaveTextAsync("Your place: number 3");

        (await operators.PostAsync($"/api/v1/flash-sales/{saleId}/start", null)).EnsureSuccessStatusCode();

        var buyer = shoppers[0];
        await Expect(buyer.GetByRole(AriaRole.Heading, new() { Name = "It is your turn" })).ToBeVisibleAsync();
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Buy now for €15.00" }).ClickAsync();
        var payStep = buyer.GetByRole(AriaRole.Heading, new() { Name = "Pay to complete your order" });
        await Expect(payStep).ToBeVisibleAsync();
        await Expect(buyer.GetByRole(AriaRole.Timer, new() { Name = "Time left to pay" })).ToBeVisibleAsync();
        // The last unit is the buyer's from the admission on: the others are told at once.
        foreach (var late in shoppers.Skip(1))
        {
            await Expect(late.GetByRole(AriaRole.Heading, new() { Name = "Sold out" })).ToBeVisibleAsync();
        }

        await buyer.GetByLabel("Full name").FillAsync("Ada Lovelace");
        await buyer.GetByLabel("Street and number").FillAsync("1 Analytical St");
        await buyer.GetByLabel("Postal code").FillAsync("10115");
        await buyer.GetByLabel("City").FillAsync("Berlin");
        await buyer.GetByLabel("Card number").FillAsync("4242 4242 4242 4242");
        await buyer.GetByLabel("Expiry (MM/YY)").FillAsync($"12/{(DateTime.UtcNow.Year + 2) % 100:D2}");
        await buyer.GetByLabel("CVC").FillAsync("123");
        // From the top, as the shopper arrives at this step (the sticky header would sit in the middle of a scrolled full-page shot).
        await buyer.EvaluateAsync("() => { document.activeElement.blur(); window.scrollTo(0, 0); }");
        await Browser.ScreenshotsAsync(buyer, "flash-sale", payStep);
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Pay now" }).ClickAsync();
        await Expect(buyer.GetByRole(AriaRole.Heading, new() { Name = "Paid — your order is placed" })).ToBeVisibleAsync();
        var orderId = await buyer.Locator(".fs-step a[href^='/orders/']").TextContentAsync();

        var order = await operators.GetFromJsonAsync<JsonElement>($"/api/v1/orders/{orderId}", StorefrontSilo.Json);
        Assert.Equal("Confirmed", order.GetProperty("status").GetString());
        Assert.Equal(saleId, order.GetProperty("flashSale").GetProperty("saleId").GetString());
        var sale = await operators.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}", StorefrontSilo.Json);
        Assert.Equal((1, 1), (sale.GetProperty("unitsPaid").GetInt32(), sale.GetProperty("unitsSold").GetInt32()));
        foreach (var late in shoppers.Skip(1))
        {
            await late.ReloadAsync();
            await Expect(late.GetByRole(AriaRole.Heading, new() { Name = "Sold out" })).ToBeVisibleAsync();
        }
    }
}
