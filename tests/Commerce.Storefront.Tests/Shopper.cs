using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Commerce.Storefront.Tests;

/// <summary>What a shopper does in the storefront, step by step, as clicks and keys on the page.</summary>
public static class Shopper
{
    public const string Password = "storefront password";

    /// <summary>A new account made through the API, so that signing in is the step under test.</summary>
    public static async Task<string> NewAccount(StorefrontSilo silo)
    {
        var email = $"shopper-{Guid.NewGuid():N}@example.test";
        using var client = silo.Anonymous();
        (await client.PostAsJsonAsync("/api/v1/accounts", new { email, password = Password })).EnsureSuccessStatusCode();
        return email;
    }

    public static async Task SignIn(IPage page, string email)
    {
        await page.GotoAsync("/sign-in");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Account", Exact = true })).ToBeVisibleAsync();
    }

    /// <summary>On the product page: picks each option value (option name → value), then adds one unit.</summary>
    public static async Task AddVariant(IPage page, IReadOnlyDictionary<string, string> options, string expectedPrice)
    {
        foreach (var (name, value) in options)
        {
            await page.Locator($"label.picker-value[data-option='{name}'][data-value='{value}']").ClickAsync();
        }
        await Expect(page.Locator("#variant-price")).ToHaveTextAsync(expectedPrice);
        await Expect(page.Locator("#variant-stock")).ToHaveTextAsync("In stock");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
        await Expect(page.Locator(".add-status")).ToContainTextAsync("Added");
    }

    /// <summary>Fills the checkout form: an address in Germany, standard shipping, the card.</summary>
    public static async Task FillCheckout(IPage page, string card)
    {
        await page.GetByLabel("Full name").FillAsync("Ada Lovelace");
        await page.GetByLabel("Street address").FillAsync("1 Analytical Street");
        await page.GetByLabel("Postal code").FillAsync("10115");
        await page.GetByLabel("City").FillAsync("Berlin");
        await page.GetByLabel("Country / region").SelectOptionAsync("DE");
        await page.GetByLabel("Card number").FillAsync(card);
        await page.GetByLabel("Expiry (MM/YY)").FillAsync("12/" + (DateTime.UtcNow.Year + 3 - 2000));
        await page.GetByLabel("Security code").FillAsync("123");
    }

    /// <summary>An HTTP client holding the bearer token the page keeps (the same customer as the page).</summary>
    public static async Task<HttpClient> ApiAs(IPage page, StorefrontSilo silo)
    {
        var tokens = JsonDocument.Parse(await page.EvaluateAsync<string>("() => localStorage.getItem('commerce.tokens')")).RootElement;
        var client = silo.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
        return client;
    }

    /// <summary>The customer's orders as the API lists them.</summary>
    public static async Task<List<JsonElement>> Orders(HttpClient customer) =>
        (await customer.GetFromJsonAsync<JsonElement>("/api/v1/orders", StorefrontSilo.Json)).GetProperty("orders").EnumerateArray().ToList();
}
