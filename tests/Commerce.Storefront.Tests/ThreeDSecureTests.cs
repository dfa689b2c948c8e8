using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Storefront.Tests;

/// <summary>
/// The 3-D Secure test card in the browser: the built-in gateway asks for authentication, the checkout sends the
/// shopper to the test bank's page in the same tab, and the bank's answer brings them back to the checkout, which
/// finishes the same order with its kept Idempotency-Key.
/// </summary>
public sealed partial class ThreeDSecureTests(StorefrontSilo silo) : IClassFixture<StorefrontSilo>
{
    private const string ThreeDSecureCard = "4000 0025 0000 3155";

    /// <summary>Signed in with a mug in the cart, the order placed with the 3-D Secure card: on the bank's page, the order waiting.</summary>
    private async Task<(IPage Page, HttpClient Customer, JsonElement Order)> AtTheBank(Browser browser)
    {
        var page = await browser.NewShopperAsync();
        await Shopper.SignIn(page, await Shopper.NewAccount(silo));
        await page.GotoAsync("/product/espresso-mug");
        await Shopper.AddVariant(page, new Dictionary<string, string> { ["colour"] = "blue" }, "€9.00");
        await page.GotoAsync("/checkout");
        await Shopper.FillCheckout(page, ThreeDSecureCard);
        // The checkout's first answer, 202 with the bank's address, names the order that waits.
        var placed = await page.RunAndWaitForResponseAsync(() => page.Locator("#place-order").ClickAsync(),
            response => response.Request.Method == "POST" && response.Url.EndsWith("/api/v1/orders", StringComparison.Ordinal));
        Assert.Equal(202, placed.Status);
        var orderId = (await placed.JsonAsync())!.Value.GetProperty("orderId").GetString();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Test bank — 3-D Secure" })).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(BankPage());
        var customer = await Shopper.ApiAs(page, silo);
        var order = await Order(customer, orderId!);
        Assert.Equal("Pending", order.GetProperty("status").GetString());
        var payment = await Payment(customer, order);
        Assert.Equal(("RequiresAction", 0m), (payment.GetProperty("status").GetString(), payment.GetProperty("captured").GetDecimal()));
        return (page, customer, order);
    }

    private static async Task<JsonElement> Order(HttpClient customer, string orderId) =>
        await customer.GetFromJsonAsync<JsonElement>($"/api/v1/orders/{orderId}", StorefrontSilo.Json);

    private static async Task<JsonElement> Payment(HttpClient customer, JsonElement order) =>
        await customer.GetFromJsonAsync<JsonElement>($"/api/v1/payments/{order.GetProperty("paymentId").GetString()}", StorefrontSilo.Json);

    [GeneratedRegex(@"/payments/authenticate\?charge=ch_\w+&secret=ch_\w+_secret_\w+&return=%2Fcheckout$")]
    private static partial Regex BankPage();

    [Fact]
    public async Task Completing_3DS_at_the_test_bank_returns_to_the_checkout_and_confirms_the_order()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var (page, customer, waiting) = await AtTheBank(browser);
        using var _ = customer;
        var complete = page.GetByRole(AriaRole.Button, new() { Name = "Complete authentication" });
        await Browser.ScreenshotsAsync(page, "test-bank", complete);

        // By keyboard: the buttons are reachable and pressed like any other.
        await complete.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.Locator("#order-state")).ToHaveTextAsync("Confirmed");
        await Expect(page).ToHaveURLAsync(new Regex("/orders/" + waiting.GetProperty("orderId").GetString() + @"\?placed=1$"));
        var order = await Order(customer, waiting.GetProperty("orderId").GetString()!);
        Assert.Equal("Confirmed", order.GetProperty("status").GetString());
        Assert.Single(await Shopper.Orders(customer));
        Assert.Equal("Captured", (await Payment(customer, order)).GetProperty("status").GetString());
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('commerce.checkout')"));
    }

    [Fact]
    public async Task Failing_3DS_at_the_test_bank_returns_to_the_checkout_with_the_decline_and_no_order()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var (page, customer, waiting) = await AtTheBank(browser);
        using var _ = customer;
        await page.GetByRole(AriaRole.Button, new() { Name = "Fail authentication" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/checkout$"));
        await Expect(page.Locator("#checkout-status [role=alert]")).ToContainTextAsync("declined");
        await Expect(page.Locator("#checkout-status [role=alert]")).ToContainTextAsync("3-D Secure");
        await Expect(page.Locator("#place-order")).ToBeEnabledAsync();
        Assert.Equal("Cancelled", (await Order(customer, waiting.GetProperty("orderId").GetString()!)).GetProperty("status").GetString());
        Assert.DoesNotContain(await Shopper.Orders(customer), o => o.GetProperty("status").GetString() != "Cancelled");
        var payment = await Payment(customer, waiting);
        Assert.Equal(("Declined", 0m), (payment.GetProperty("status").GetString(), payment.GetProperty("captured").GetDecimal()));
        // The refusal is final for the key: the next try is a new checkout; the mug is still in the cart for it.
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('commerce.checkout')"));
        var cart = await customer.GetFromJsonAsync<JsonElement>("/api/v1/cart", StorefrontSilo.Json);
        Assert.Single(cart.GetProperty("lines").EnumerateArray());
    }
}
