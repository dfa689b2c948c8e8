using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Storefront.Tests;

/// <summary>A shopper's whole visit in the browser, against the real silo: browse, search, cart, sign in, checkout, orders.</summary>
public sealed class ShoppingTests(StorefrontSilo silo) : IClassFixture<StorefrontSilo>
{
    [Fact]
    public async Task A_guest_browses_searches_with_a_typo_adds_two_variants_signs_in_with_the_cart_merged_and_checks_out_once()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var page = await browser.NewShopperAsync();

        // Browse: home → a category with facets and sorting.
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Apparel", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Apparel", Level = 1 })).ToBeVisibleAsync();
        var products = page.Locator(".product-card .product-title");
        await Expect(products).ToHaveTextAsync(["Trail Running Shoe", "Merino Crew T-Shirt"]); // newest first
        await page.GetByLabel("Sort by").SelectOptionAsync("price-asc");
        await Expect(products).ToHaveTextAsync(["Merino Crew T-Shirt", "Trail Running Shoe"]);
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Contoso" }).CheckAsync();
        await Expect(products).ToHaveTextAsync(["Trail Running Shoe"]);
        await Expect(page).ToHaveURLAsync(new Regex("brand=Contoso"));
        // Narrowed to a phone's width the filters fold behind one line; widened again they open.
        await page.SetViewportSizeAsync(Browser.Phone.Width, Browser.Phone.Height);
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "Contoso" })).ToBeHiddenAsync();
        await Expect(page.Locator(".facets > summary")).ToHaveTextAsync("Filters (1 chosen)");
        await page.SetViewportSizeAsync(Browser.Desktop.Width, Browser.Desktop.Height);
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "Contoso" })).ToBeVisibleAsync();
        await Browser.ScreenshotsAsync(page, "category", products.First);

        // Search: suggestions while typing, then a misspelt search corrected.
        var search = page.GetByRole(AriaRole.Combobox, new() { Name = "Search products" });
        await search.FillAsync("meri");
        await Expect(page.GetByRole(AriaRole.Option, new() { Name = "Merino Crew T-Shirt" })).ToBeVisibleAsync();
        await search.FillAsync("merno");
        await search.PressAsync("Enter");
        await Expect(page.Locator(".did-you-mean")).ToContainTextAsync("merino");
        await Browser.ScreenshotsAsync(page, "search", page.Locator(".did-you-mean"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Merino Crew T-Shirt" }).ClickAsync();

        // Product page: two variants, each with its own price and stock.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Merino Crew T-Shirt" })).ToBeVisibleAsync();
        await page.Locator("label.picker-value[data-option='colour'][data-value='white']").ClickAsync();
        await Expect(page.Locator("#variant-stock")).ToHaveTextAsync("Out of stock");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" })).ToBeDisabledAsync();
        await Shopper.AddVariant(page, new Dictionary<string, string> { ["colour"] = "black", ["size"] = "M" }, "€25.00");
        await Shopper.AddVariant(page, new Dictionary<string, string> { ["size"] = "L" }, "€27.50");
        await Expect(page.Locator("#cart-count")).ToHaveTextAsync("2");
        await Browser.ScreenshotsAsync(page, "product", page.Locator("#add-to-cart"));

        // Sign in: the guest cart moves into the account.
        var email = await Shopper.NewAccount(silo);
        await page.GetByRole(AriaRole.Link, new() { Name = "Cart, 2 items" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in to check out" }).ClickAsync();
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Shopper.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Checkout" })).ToBeVisibleAsync();
        await Expect(page.Locator(".summary-lines li")).ToHaveCountAsync(2);
        await page.GotoAsync("/cart");
        await Expect(page.Locator(".lines .line")).ToHaveCountAsync(2);
        await Expect(page.Locator("#ship-method option")).ToHaveTextAsync(
            ["Pickup — €0.00", "Standard — €4.95, free from €50.00", "Express — €9.95, free from €150.00", "Next day — €19.95"]);
        await page.GetByLabel("Ship to").SelectOptionAsync("DE");
        // 52.50 ships free (standard from 50); 19 % tax: 9.98.
        await Expect(page.Locator("#cart-total")).ToHaveTextAsync("€62.48");
        await Browser.ScreenshotsAsync(page, "cart", page.Locator("#cart-total"));

        // Checkout with 4242…: a double click still places one order.
        await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
        await Shopper.FillCheckout(page, "4242 4242 4242 4242");
        await Browser.ScreenshotsAsync(page, "checkout", page.Locator("#place-order"));
        await page.Locator("#place-order").DblClickAsync();
        await Expect(page.Locator("#order-state")).ToHaveTextAsync("Confirmed");
        await Expect(page.Locator("#order-status")).ToContainTextAsync("your order is placed");
        await Expect(page.Locator("#cart-count")).ToHaveTextAsync("0");

        await page.GetByRole(AriaRole.Link, new() { Name = "← All orders" }).ClickAsync();
        await Expect(page.Locator("#orders .order-row")).ToHaveCountAsync(1);
        await Expect(page.Locator("#orders")).ToContainTextAsync("€62.48");
        using var customer = await Shopper.ApiAs(page, silo);
        var order = Assert.Single(await Shopper.Orders(customer));
        Assert.Equal("Confirmed", order.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_declined_card_shows_the_decline_and_places_no_order()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var page = await browser.NewShopperAsync();
        await Shopper.SignIn(page, await Shopper.NewAccount(silo));
        await page.GotoAsync($"/product/{StorefrontSilo.Shoe}");
        await Shopper.AddVariant(page, new Dictionary<string, string> { ["size"] = "42" }, "€89.00");
        await page.GotoAsync("/checkout");
        await Shopper.FillCheckout(page, "4000 0000 0000 0002");
        await page.Locator("#place-order").ClickAsync();
        await Expect(page.Locator("#checkout-status [role=alert]")).ToContainTextAsync("declined");
        await Expect(page.Locator("[data-field='card.number'] .field-error")).ToContainTextAsync("declined");

        // Nothing was bought: no order went through, the cart still holds the shoe, and the form stays to try another card.
        using var customer = await Shopper.ApiAs(page, silo);
        Assert.Empty(await Shopper.Orders(customer));
        var cart = await customer.GetFromJsonAsync<JsonElement>("/api/v1/cart", StorefrontSilo.Json);
        Assert.Equal(silo.Skus["42"], Assert.Single(cart.GetProperty("lines").EnumerateArray()).GetProperty("sku").GetString());
        await Expect(page.Locator("#place-order")).ToBeEnabledAsync();
    }

    [Fact]
    public async Task A_checkout_whose_answer_was_lost_is_finished_by_a_reload_as_the_same_single_order()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var page = await browser.NewShopperAsync();
        await Shopper.SignIn(page, await Shopper.NewAccount(silo));
        await page.GotoAsync("/product/espresso-mug");
        await Shopper.AddVariant(page, new Dictionary<string, string> { ["colour"] = "blue" }, "€9.00");
        await page.GotoAsync("/checkout");
        await Shopper.FillCheckout(page, "4242424242424242");

        // The order reaches the gateway, but its answer never reaches the browser (as when the connection drops).
        await page.RouteAsync("**/api/v1/orders", async route =>
        {
            await route.FetchAsync();
            await route.AbortAsync();
        });
        await page.Locator("#place-order").ClickAsync();
        await Expect(page.Locator("#checkout-status [role=alert]")).ToContainTextAsync("retry the same order");
        await page.UnrouteAllAsync();
        using var customer = await Shopper.ApiAs(page, silo);
        var placed = Assert.Single(await Shopper.Orders(customer));

        // A reload sends the kept Idempotency-Key again: the gateway answers the order it placed, and there is still one.
        await page.ReloadAsync();
        await Expect(page.Locator("#order-state")).ToHaveTextAsync("Confirmed");
        Assert.EndsWith("/orders/" + placed.GetProperty("orderId").GetString() + "?placed=1", page.Url);
        Assert.Single(await Shopper.Orders(customer));
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('commerce.checkout')"));
    }

    [Fact]
    public async Task A_price_change_must_be_accepted_before_checkout_and_orders_can_be_cancelled_or_returned()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var page = await browser.NewShopperAsync();
        page.Dialog += (_, dialog) => dialog.AcceptAsync(); // "Cancel this order?" — yes
        await Shopper.SignIn(page, await Shopper.NewAccount(silo));
        await page.GotoAsync($"/product/{StorefrontSilo.Shoe}");
        await Shopper.AddVariant(page, new Dictionary<string, string> { ["size"] = "43" }, "€89.00");

        // The shop raises the price after the shopper added the shoe: the cart shows old → new and checkout waits for a yes.
        using var operators = await silo.Operator();
        var sku = silo.Skus["43"];
        (await operators.PutAsJsonAsync($"/api/v1/catalog/skus/{sku}", new
        {
            productId = StorefrontSilo.Shoe, title = "Trail Running Shoe, 43", options = new { size = "43" }, price = new { amount = 95.00m, currency = "EUR" }, active = true,
        }, StorefrontSilo.Json)).EnsureSuccessStatusCode();
        await page.GotoAsync("/cart");
        await Expect(page.Locator(".price-change")).ToContainTextAsync("€89.00 → €95.00");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Checkout" })).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Accept new prices" }).ClickAsync();
        await Expect(page.Locator(".price-change")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
        await Shopper.FillCheckout(page, "4242424242424242");
        await page.Locator("#place-order").ClickAsync();
        await Expect(page.Locator("#order-state")).ToHaveTextAsync("Confirmed");

        // Before it ships the shopper cancels it.
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel order" }).ClickAsync();
        await Expect(page.Locator("#order-state")).ToHaveTextAsync("Cancelled");

        // A second order travels to the door (tracking shows each step), then goes back.
        await page.GotoAsync($"/product/{StorefrontSilo.Shoe}");
        await Shopper.AddVariant(page, new Dictionary<string, string> { ["size"] = "43" }, "€95.00");
        await page.GotoAsync("/checkout");
        await Shopper.FillCheckout(page, "4242424242424242");
        await page.Locator("#place-order").ClickAsync();
        await Expect(page.Locator("#order-state")).ToHaveTextAsync("Confirmed");
        var orderId = page.Url.Split("/orders/")[1].Split('?')[0];
        foreach (var action in new[] { "StartProcessing", "Ship", "Deliver" })
        {
            (await operators.PostAsJsonAsync($"/api/v1/orders/{orderId}/transitions", new { action }, StorefrontSilo.Json)).EnsureSuccessStatusCode();
        }
        await page.ReloadAsync();
        await Expect(page.Locator(".tracking li.done")).ToHaveCountAsync(4);
        await Expect(page.Locator(".history")).ToContainTextAsync("Shipped");
        await page.GetByRole(AriaRole.Button, new() { Name = "Return order" }).ClickAsync();
        await Expect(page.Locator("#order-state")).ToHaveTextAsync("Return requested");
    }

    [Fact]
    public async Task Two_browsers_of_one_customer_see_each_others_cart_changes()
    {
        await using var browser = await Browser.LaunchAsync(silo.BaseAddress);
        var email = await Shopper.NewAccount(silo);
        var laptop = await browser.NewShopperAsync();
        var phone = await browser.NewShopperAsync(Browser.Phone);
        await Shopper.SignIn(laptop, email);
        await Shopper.SignIn(phone, email);
        await phone.GotoAsync("/cart");
        await Expect(phone.GetByText("Your cart is empty.")).ToBeVisibleAsync();

        await laptop.GotoAsync("/product/espresso-mug");
        await Shopper.AddVariant(laptop, new Dictionary<string, string> { ["colour"] = "blue" }, "€9.00");
        // Pushed by the cart hub: the phone's cart page shows the mug without reloading.
        await Expect(phone.Locator(".lines .line")).ToHaveCountAsync(1);
        await Expect(phone.Locator("#cart-count")).ToHaveTextAsync("1");

        await phone.GetByLabel("Quantity of Espresso Mug, blue").FillAsync("3");
        await phone.GetByLabel("Quantity of Espresso Mug, blue").DispatchEventAsync("change");
        await Expect(laptop.Locator("#cart-count")).ToHaveTextAsync("3");
        await laptop.GotoAsync("/cart");
        await laptop.GetByRole(AriaRole.Button, new() { Name = "Save for later" }).ClickAsync();
        await Expect(phone.Locator("#saved .line")).ToHaveCountAsync(1);
        await Expect(phone.Locator("#cart-count")).ToHaveTextAsync("0");
    }
}
