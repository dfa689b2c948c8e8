using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Gateway.Tests;

public sealed class CatalogApiTests(GatewayServer server) : IClassFixture<GatewayServer>
{
    /// <summary>Ids and slugs of this test only: the server's catalog is shared by the class's tests.</summary>
    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..8]}";

    private static async Task<JsonElement> PutCategory(HttpClient operators, string id, string? parentId = null, int position = 0, object[]? attributes = null, string? slug = null)
    {
        var response = await operators.PutAsJsonAsync($"/api/v1/catalog/categories/{id}", new { name = "Name of " + id, slug = slug ?? id, parentId, position, attributes });
        return await response.Read<JsonElement>(HttpStatusCode.Created);
    }

    private static async Task<JsonElement> Category(HttpClient client, string id) =>
        await (await client.GetAsync($"/api/v1/catalog/categories/{id}")).Read<JsonElement>();

    private static string[] Crumbs(JsonElement category) => category.GetProperty("breadcrumbs").EnumerateArray().Select(c => c.GetProperty("categoryId").GetString()!).ToArray();

    private static async Task PutProduct(HttpClient operators, string id, object body) =>
        (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{id}", body)).EnsureSuccessStatusCode();

    private static async Task PutSku(HttpClient operators, string sku, string productId, decimal price) =>
        (await operators.PutAsJsonAsync($"/api/v1/catalog/skus/{sku}", new { productId, title = "Item " + sku, price = new { amount = price, currency = "EUR" } })).EnsureSuccessStatusCode();

    private static async Task<JsonElement[]> PriceHistory(HttpClient operators, string sku) =>
        (await (await operators.GetAsync($"/api/v1/catalog/skus/{sku}/price-history")).Read<JsonElement>()).GetProperty("changes").EnumerateArray().ToArray();

    private static readonly object[] ApparelAttributes =
    [
        new { name = "size", type = "Option", values = new[] { "S", "M", "L", "XL" } },
        new { name = "colour", type = "Option", values = new[] { "black", "white", "red" } },
        new { name = "material", type = "Text" },
        new { name = "weight", type = "Number" },
    ];

    [Fact]
    public async Task A_moved_category_takes_its_subtree_along_with_paths_and_breadcrumbs_rewritten()
    {
        using var operators = await server.Operator();
        using var shopper = server.Anonymous();
        var (apparel, shirts, tees, sale) = (Unique("apparel"), Unique("shirts"), Unique("tees"), Unique("sale"));
        await PutCategory(operators, apparel, position: 2);
        await PutCategory(operators, shirts, apparel);
        await PutCategory(operators, tees, shirts);
        await PutCategory(operators, sale, position: 1);
        Assert.Equal($"/{apparel}/{shirts}/{tees}", (await Category(shopper, tees)).GetProperty("path").GetString());

        var moved = await (await operators.PostAsJsonAsync($"/api/v1/catalog/categories/{shirts}/move", new { parentId = sale, position = 0 })).Read<JsonElement>();

        Assert.Equal($"/{sale}/{shirts}", moved.GetProperty("path").GetString());
        var leaf = await Category(shopper, tees);
        Assert.Equal($"/{sale}/{shirts}/{tees}", leaf.GetProperty("path").GetString());
        Assert.Equal([sale, shirts, tees], Crumbs(leaf));
        Assert.Equal("Name of " + sale, leaf.GetProperty("breadcrumbs")[0].GetProperty("name").GetString());
        var tree = (await (await shopper.GetAsync("/api/v1/catalog/categories")).Read<JsonElement>()).EnumerateArray().ToList();
        var ours = tree.Select(n => n.GetProperty("categoryId").GetString()).Where(id => id == sale || id == apparel).ToList();
        Assert.Equal([sale, apparel], ours);
        var saleNode = tree.Single(n => n.GetProperty("categoryId").GetString() == sale);
        Assert.Equal(tees, saleNode.GetProperty("children")[0].GetProperty("children")[0].GetProperty("categoryId").GetString());
        Assert.Empty(tree.Single(n => n.GetProperty("categoryId").GetString() == apparel).GetProperty("children").EnumerateArray());
    }

    [Fact]
    public async Task Moving_a_category_under_its_own_descendant_is_refused_and_changes_nothing()
    {
        using var operators = await server.Operator();
        var (top, middle, bottom) = (Unique("top"), Unique("middle"), Unique("bottom"));
        await PutCategory(operators, top);
        await PutCategory(operators, middle, top);
        await PutCategory(operators, bottom, middle);

        await (await operators.PostAsJsonAsync($"/api/v1/catalog/categories/{top}/move", new { parentId = bottom })).AssertProblem(HttpStatusCode.Conflict, "parentId", "parent-in-own-subtree");
        await (await operators.PostAsJsonAsync($"/api/v1/catalog/categories/{middle}/move", new { parentId = middle })).AssertProblem(HttpStatusCode.Conflict, "parentId", "parent-in-own-subtree");
        await (await operators.PutAsJsonAsync($"/api/v1/catalog/categories/{top}", new { name = "Top", slug = top, parentId = middle })).AssertProblem(HttpStatusCode.Conflict, "parentId");
        await (await operators.PostAsJsonAsync($"/api/v1/catalog/categories/{top}/move", new { parentId = "no-such-category" })).AssertProblem(HttpStatusCode.UnprocessableEntity, "parentId", "unknown-parent");
        // A sibling under the new parent already has the slug: the move would give two categories one path.
        var twin = Unique("twin");
        await PutCategory(operators, twin, slug: bottom);
        await (await operators.PostAsJsonAsync($"/api/v1/catalog/categories/{bottom}/move", new { parentId = (string?)null })).AssertProblem(HttpStatusCode.Conflict, "slug", "slug-taken");

        var leaf = await Category(operators, bottom);
        Assert.Equal($"/{top}/{middle}/{bottom}", leaf.GetProperty("path").GetString());
        Assert.Equal([top, middle, bottom], Crumbs(leaf));
        Assert.Equal(JsonValueKind.Null, (await Category(operators, top)).GetProperty("parentId").ValueKind);
    }

    [Fact]
    public async Task Product_attributes_are_checked_against_the_category_definitions_and_a_refused_product_is_not_written()
    {
        using var operators = await server.Operator();
        var tees = Unique("tees");
        await PutCategory(operators, tees, attributes: ApparelAttributes);
        var product = Unique("tee");
        object Body(object attributes, object? variantOptions = null) => new { title = "Tee", categoryId = tees, attributes, variantOptions };

        var problem = await (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", Body(new { fabric = "cotton", weight = "heavy", size = "XXL" })))
            .AssertProblem(HttpStatusCode.UnprocessableEntity, "attributes.fabric", "invalid-attributes");
        Assert.True(problem.GetProperty("errors").TryGetProperty("attributes.weight", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("attributes.size", out _));
        await (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", Body(new { material = 7 }))).AssertProblem(HttpStatusCode.UnprocessableEntity, "attributes.material");
        await (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", Body(new { material = "cotton" }, new { size = new[] { "S", "XXL" } })))
            .AssertProblem(HttpStatusCode.UnprocessableEntity, "variantOptions.size");
        await (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", new { title = "Tee", categoryId = "no-such-category" })).AssertProblem(HttpStatusCode.UnprocessableEntity, "categoryId");
        await (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", new { title = "Tee", attributes = new { material = "x\u0000" }, categoryId = tees }))
            .AssertProblem(HttpStatusCode.BadRequest, "attributes.material");
        Assert.Equal(HttpStatusCode.NotFound, (await operators.GetAsync($"/api/v1/catalog/products/{product}")).StatusCode);

        var created = await (await operators.PutAsJsonAsync($"/api/v1/catalog/products/{product}", Body(new { material = "cotton", weight = 0.2m, size = "M" })))
            .Read<JsonElement>(HttpStatusCode.Created);
        Assert.Equal("cotton", created.GetProperty("attributes").GetProperty("material").GetString());
        Assert.Equal(0.2m, created.GetProperty("attributes").GetProperty("weight").GetDecimal());
        Assert.Equal(tees, created.GetProperty("categoryId").GetString());
    }

    [Fact]
    public async Task Four_sizes_and_two_colours_make_eight_skus_and_the_same_request_again_changes_nothing()
    {
        using var operators = await server.Operator();
        var tees = Unique("tees");
        await PutCategory(operators, tees, attributes: ApparelAttributes);
        var product = Unique("tee");
        await PutProduct(operators, product, new { title = "Tee", categoryId = tees, variantOptions = new { size = new[] { "S", "M", "L", "XL" }, colour = new[] { "black", "white" } } });
        var prefix = product.ToUpperInvariant();
        var request = new
        {
            skuPrefix = prefix, price = new { amount = 19.90m, currency = "EUR" }, images = new[] { new { url = "https://img.example.com/tee.jpg", alt = "Tee" } },
            overrides = new object[] { new { options = new { size = "XL" }, price = new { amount = 22m, currency = "EUR" } } },
        };

        var first = await (await operators.PostAsJsonAsync($"/api/v1/catalog/products/{product}/variants", request)).Read<JsonElement>();
        var second = await (await operators.PostAsJsonAsync($"/api/v1/catalog/products/{product}/variants", request)).Read<JsonElement>();

        Assert.Equal((8, 0), (first.GetProperty("created").GetInt32(), first.GetProperty("updated").GetInt32()));
        Assert.Equal((0, 0), (second.GetProperty("created").GetInt32(), second.GetProperty("updated").GetInt32()));
        var skus = second.GetProperty("skus").EnumerateArray().ToList();
        Assert.Equal(8, skus.Count);
        Assert.Equal(8, skus.Select(s => (s.GetProperty("options").GetProperty("size").GetString(), s.GetProperty("options").GetProperty("colour").GetString())).Distinct().Count());
        var blackXl = skus.Single(s => s.GetProperty("code").GetString() == $"{prefix}-black-XL");
        Assert.Equal(22m, blackXl.GetProperty("price").GetProperty("amount").GetDecimal());
        Assert.Equal(19.90m, skus.Single(s => s.GetProperty("code").GetString() == $"{prefix}-white-S").GetProperty("price").GetProperty("amount").GetDecimal());
        Assert.Equal("https://img.example.com/tee.jpg", blackXl.GetProperty("images")[0].GetProperty("url").GetString());
        Assert.Single(await PriceHistory(operators, $"{prefix}-black-XL"));

        // A changed default price updates the six SKUs it prices, and only those, each with one history row more.
        var repriced = await (await operators.PostAsJsonAsync($"/api/v1/catalog/products/{product}/variants", request with { price = new { amount = 18m, currency = "EUR" } })).Read<JsonElement>();
        Assert.Equal((0, 6), (repriced.GetProperty("created").GetInt32(), repriced.GetProperty("updated").GetInt32()));
        Assert.Equal(2, (await PriceHistory(operators, $"{prefix}-white-S")).Length);
        Assert.Single(await PriceHistory(operators, $"{prefix}-black-XL"));
    }

    [Fact]
    public async Task A_rebuild_with_fewer_option_values_deactivates_the_removed_combinations_and_leaves_their_stock()
    {
        using var operators = await server.Operator();
        using var shopper = server.Anonymous();
        var tees = Unique("tees");
        await PutCategory(operators, tees, attributes: ApparelAttributes);
        var product = Unique("tee");
        var prefix = product.ToUpperInvariant();
        var request = new { skuPrefix = prefix, price = new { amount = 19.90m, currency = "EUR" } };
        await PutProduct(operators, product, new { title = "Tee", categoryId = tees, variantOptions = new { size = new[] { "S", "M", "L" }, colour = new[] { "black", "white" } } });
        (await operators.PostAsJsonAsync($"/api/v1/catalog/products/{product}/variants", request)).EnsureSuccessStatusCode();
        (await operators.PostAsJsonAsync($"/api/v1/inventory/{prefix}-white-L/receipts", new { warehouseId = "main", quantity = 7 })).EnsureSuccessStatusCode();

        await PutProduct(operators, product, new { title = "Tee", categoryId = tees, variantOptions = new { size = new[] { "S", "M" }, colour = new[] { "black" } } });
        var rebuilt = await (await operators.PostAsJsonAsync($"/api/v1/catalog/products/{product}/variants", request)).Read<JsonElement>();

        Assert.Equal((0, 0, 4), (rebuilt.GetProperty("created").GetInt32(), rebuilt.GetProperty("updated").GetInt32(), rebuilt.GetProperty("deactivated").GetInt32()));
        Assert.Equal([$"{prefix}-black-M", $"{prefix}-black-S"], rebuilt.GetProperty("skus").EnumerateArray().Select(s => s.GetProperty("code").GetString()).Order(StringComparer.Ordinal));
        var page = await (await shopper.GetAsync($"/api/v1/catalog/products/{product}")).Read<JsonElement>();
        Assert.Equal([$"{prefix}-black-M", $"{prefix}-black-S"], page.GetProperty("skus").EnumerateArray().Select(s => s.GetProperty("code").GetString()).Order(StringComparer.Ordinal));
        var stock = await (await operators.GetAsync($"/api/v1/inventory/{prefix}-white-L/stock")).Read<JsonElement>();
        Assert.Equal(7, stock.GetProperty("warehouses").EnumerateArray().Sum(w => w.GetProperty("onHand").GetInt32()));
        // The same request again deactivates nothing more.
        var again = await (await operators.PostAsJsonAsync($"/api/v1/catalog/products/{product}/variants", request)).Read<JsonElement>();
        Assert.Equal(0, again.GetProperty("deactivated").GetInt32());
    }

    [Fact]
    public async Task Every_price_change_is_kept_with_operator_and_time_and_an_unchanged_price_adds_no_row()
    {
        using var operators = await server.Operator();
        var product = Unique("lamp");
        await PutProduct(operators, product, new { title = "Lamp" });
        var sku = Unique("lamp-sku");
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);

        await PutSku(operators, sku, product, 10m);
        await PutSku(operators, sku, product, 10m);
        await PutSku(operators, sku, product, 12.5m);
        await PutSku(operators, sku, product, 12.5m);

        var history = await PriceHistory(operators, sku);
        Assert.Equal([12.5m, 10m], history.Select(h => h.GetProperty("price").GetProperty("amount").GetDecimal()));
        Assert.All(history, h => Assert.Equal("operator:bootstrap", h.GetProperty("changedBy").GetString()));
        Assert.All(history, h => Assert.InRange(h.GetProperty("changedAt").GetDateTimeOffset(), before, DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.True(history[0].GetProperty("changedAt").GetDateTimeOffset() >= history[1].GetProperty("changedAt").GetDateTimeOffset());

        // An operator who signs in with an account is recorded by its account id.
        var email = $"ops-{Guid.NewGuid():N}@example.com";
        var (_, account) = await server.Services.GetRequiredService<AccountStore>().Register(email, "operator password", AccountRole.Operator);
        using var anonymous = server.Anonymous();
        var tokens = await (await anonymous.PostAsJsonAsync("/api/v1/accounts/login", new { email, password = "operator password" })).Read<GatewayServer.TokenResponse>();
        using var accountOperator = server.WithToken(tokens.AccessToken);
        await PutSku(accountOperator, sku, product, 11m);
        Assert.Equal(account!.AccountId, (await PriceHistory(operators, sku))[0].GetProperty("changedBy").GetString());
        await (await operators.GetAsync("/api/v1/catalog/skus/no-such-sku/price-history")).AssertProblem(HttpStatusCode.NotFound, code: "unknown-sku");

        // A SKU belongs to one product for life: moving it is refused, and leaves no price behind.
        var other = Unique("other");
        await PutProduct(operators, other, new { title = "Other" });
        await (await operators.PutAsJsonAsync($"/api/v1/catalog/skus/{sku}", new { productId = other, title = "Moved", price = new { amount = 99m, currency = "EUR" } }))
            .AssertProblem(HttpStatusCode.Conflict, "productId", "sku-of-another-product");
        Assert.Equal(3, (await PriceHistory(operators, sku)).Length);
    }

    [Fact]
    public async Task A_sku_keeps_its_images_in_order_and_a_bad_image_is_refused_naming_it()
    {
        using var operators = await server.Operator();
        var product = Unique("vase");
        await PutProduct(operators, product, new { title = "Vase" });
        var sku = Unique("vase-sku");
        object Body(object[] images) => new { productId = product, title = "Vase", price = new { amount = 30m, currency = "EUR" }, images };

        await (await operators.PutAsJsonAsync($"/api/v1/catalog/skus/{sku}", Body([new { url = "https://img.example.com/a.jpg" }, new { url = "ftp://img.example.com/b.jpg" }])))
            .AssertProblem(HttpStatusCode.BadRequest, "images[1].url");
        var created = await (await operators.PutAsJsonAsync($"/api/v1/catalog/skus/{sku}",
            Body([new { url = "https://img.example.com/b.jpg", alt = "Side" }, new { url = "https://img.example.com/a.jpg", alt = "Front" }]))).Read<JsonElement>(HttpStatusCode.Created);

        var images = created.GetProperty("skus")[0].GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(["https://img.example.com/b.jpg", "https://img.example.com/a.jpg"], images.Select(i => i.GetProperty("url").GetString()));
        Assert.Equal("Front", images[1].GetProperty("alt").GetString());
    }

    [Fact]
    public async Task A_category_listing_pages_through_its_subtree_in_each_sort_order()
    {
        using var operators = await server.Operator();
        using var shopper = server.Anonymous();
        var (root, child) = (Unique("home"), Unique("lamps"));
        await PutCategory(operators, root);
        await PutCategory(operators, child, root);
        var prices = new Dictionary<string, decimal> { ["Bench"] = 30m, ["Armchair"] = 120m, ["Desk"] = 75m, ["Candle"] = 5m, ["Easel"] = 50m };
        var ids = new Dictionary<string, string>();
        var i = 0;
        foreach (var (title, price) in prices)
        {
            var id = ids[title] = Unique("item");
            await PutProduct(operators, id, new { title, categoryId = i++ % 2 == 0 ? root : child });
            await PutSku(operators, id + "-a", id, price);
            await PutSku(operators, id + "-b", id, price + 100m);
        }
        var noPrice = Unique("item");
        await PutProduct(operators, noPrice, new { title = "Zither", categoryId = child });

        async Task<List<string>> All(string sort)
        {
            var titles = new List<string>();
            for (int? page = 1; page is not null;)
            {
                var listing = await (await shopper.GetAsync($"/api/v1/catalog/categories/{root}/products?sort={sort}&limit=2&page={page}")).Read<JsonElement>();
                Assert.Equal(6, listing.GetProperty("total").GetInt64());
                var products = listing.GetProperty("products").EnumerateArray().ToList();
                Assert.True(products.Count <= 2);
                titles.AddRange(products.Select(p => p.GetProperty("title").GetString()!));
                page = listing.GetProperty("nextPage").ValueKind == JsonValueKind.Null ? null : listing.GetProperty("nextPage").GetInt32();
            }
            return titles;
        }

        Assert.Equal(["Armchair", "Bench", "Candle", "Desk", "Easel", "Zither"], await All("title"));
        Assert.Equal(["Candle", "Bench", "Easel", "Desk", "Armchair", "Zither"], await All("price"));
        Assert.Equal(["Armchair", "Desk", "Easel", "Bench", "Candle", "Zither"], await All("-price"));
        Assert.Equal(["Zither", "Easel", "Candle", "Desk", "Armchair", "Bench"], await All("newest"));
        var cheapest = await (await shopper.GetAsync($"/api/v1/catalog/categories/{root}/products?sort=price&limit=1")).Read<JsonElement>();
        Assert.Equal(5m, cheapest.GetProperty("products")[0].GetProperty("price").GetProperty("amount").GetDecimal());
        var lamps = await (await shopper.GetAsync($"/api/v1/catalog/categories/{child}/products")).Read<JsonElement>();
        Assert.Equal(3, lamps.GetProperty("total").GetInt64());
        await (await shopper.GetAsync($"/api/v1/catalog/categories/{root}/products?sort=popular")).AssertProblem(HttpStatusCode.BadRequest, "sort");
        await (await shopper.GetAsync($"/api/v1/catalog/categories/{root}/products?page=0")).AssertProblem(HttpStatusCode.BadRequest, "page");
    }

    [Fact]
    public async Task Archived_categories_and_products_disappear_from_public_reads()
    {
        using var operators = await server.Operator();
        using var shopper = server.Anonymous();
        var (root, child) = (Unique("garden"), Unique("tools"));
        await PutCategory(operators, root);
        await PutCategory(operators, child, root);
        var (inRoot, inChild, archived) = (Unique("rake"), Unique("spade"), Unique("hoe"));
        await PutProduct(operators, inRoot, new { title = "Rake", categoryId = root });
        await PutProduct(operators, inChild, new { title = "Spade", categoryId = child });
        var spade = Unique("spade-sku");
        await PutSku(operators, spade, inChild, 12m);
        await PutProduct(operators, archived, new { title = "Hoe", categoryId = root });
        (await operators.PostAsync($"/api/v1/catalog/products/{archived}/archive", null)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync($"/api/v1/catalog/products/{archived}")).StatusCode);
        Assert.Equal(2, (await (await shopper.GetAsync($"/api/v1/catalog/categories/{root}/products")).Read<JsonElement>()).GetProperty("total").GetInt64());

        (await operators.PostAsync($"/api/v1/catalog/categories/{child}/archive", null)).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync($"/api/v1/catalog/categories/{child}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync($"/api/v1/catalog/categories/{child}/products")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync($"/api/v1/catalog/products/{inChild}")).StatusCode);
        // Nor can it be bought: a cart refuses a SKU of a product under an archived category.
        using var buyer = await server.NewCustomer();
        await (await buyer.PostAsJsonAsync("/api/v1/cart/items", new { sku = spade, quantity = 1 })).AssertProblem(HttpStatusCode.UnprocessableEntity, field: "sku", code: "sku-not-for-sale");
        var listing = await (await shopper.GetAsync($"/api/v1/catalog/categories/{root}/products")).Read<JsonElement>();
        Assert.Equal([inRoot], listing.GetProperty("products").EnumerateArray().Select(p => p.GetProperty("productId").GetString()));
        var tree = await (await shopper.GetAsync("/api/v1/catalog/categories")).Read<JsonElement>();
        Assert.Empty(tree.EnumerateArray().Single(n => n.GetProperty("categoryId").GetString() == root).GetProperty("children").EnumerateArray());

        // Archiving the root hides what was under it; bringing it back restores the rest as it was.
        (await operators.PostAsync($"/api/v1/catalog/categories/{root}/archive", null)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync($"/api/v1/catalog/products/{inRoot}")).StatusCode);
        Assert.DoesNotContain(root, (await (await shopper.GetAsync("/api/v1/catalog/categories")).Read<JsonElement>()).EnumerateArray().Select(n => n.GetProperty("categoryId").GetString()));
        (await operators.PutAsJsonAsync($"/api/v1/catalog/categories/{root}", new { name = "Garden", slug = root, archived = false })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await shopper.GetAsync($"/api/v1/catalog/products/{inRoot}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await shopper.GetAsync($"/api/v1/catalog/products/{inChild}")).StatusCode);
    }

    [Fact]
    public async Task Customers_get_403_on_every_operator_catalog_endpoint()
    {
        var (customer, _, _) = await server.SignedInCustomer();
        using var _customer = customer;
        var id = Unique("c");
        foreach (var response in new[]
        {
            await customer.PutAsJsonAsync($"/api/v1/catalog/categories/{id}", new { name = "C", slug = id }),
            await customer.PostAsJsonAsync($"/api/v1/catalog/categories/{id}/move", new { parentId = (string?)null }),
            await customer.PostAsync($"/api/v1/catalog/categories/{id}/archive", null),
            await customer.PutAsJsonAsync($"/api/v1/catalog/products/{id}", new { title = "P" }),
            await customer.PostAsync($"/api/v1/catalog/products/{id}/archive", null),
            await customer.PostAsJsonAsync($"/api/v1/catalog/products/{id}/variants", new { skuPrefix = "X", price = new { amount = 1m, currency = "EUR" } }),
            await customer.GetAsync($"/api/v1/catalog/skus/{id}/price-history"),
        })
        {
            await response.AssertProblem(HttpStatusCode.Forbidden);
        }
        using var operators = await server.Operator();
        Assert.Equal(HttpStatusCode.NotFound, (await operators.GetAsync($"/api/v1/catalog/categories/{id}")).StatusCode);
    }

    [Fact]
    public async Task The_product_page_shows_breadcrumbs_and_each_variants_price_images_and_stock_level_after_stock_is_received()
    {
        using var operators = await server.Operator();
        using var shopper = server.Anonymous();
        var (apparel, tees) = (Unique("apparel"), Unique("tees"));
        await PutCategory(operators, apparel);
        await PutCategory(operators, tees, apparel, attributes: ApparelAttributes);
        var product = Unique("tee");
        await PutProduct(operators, product, new { title = "Tee", brand = "Acme", categoryId = tees, attributes = new { material = "cotton" }, variantOptions = new { size = new[] { "S", "M" } } });
        var prefix = Unique("TEE");
        (await operators.PostAsJsonAsync($"/api/v1/catalog/products/{product}/variants",
            new { skuPrefix = prefix, price = new { amount = 15m, currency = "EUR" }, images = new[] { new { url = "https://img.example.com/t.jpg" } } })).EnsureSuccessStatusCode();
        (await operators.PostAsJsonAsync($"/api/v1/inventory/{prefix}-M/receipts", new { warehouseId = "main", quantity = 40 })).EnsureSuccessStatusCode();

        var page = await (await shopper.GetAsync($"/api/v1/catalog/products/{product}")).Read<JsonElement>();

        Assert.Equal([apparel, tees], Crumbs(page));
        Assert.Equal("cotton", page.GetProperty("attributes").GetProperty("material").GetString());
        Assert.Equal(["S", "M"], page.GetProperty("variantOptions").GetProperty("size").EnumerateArray().Select(v => v.GetString()));
        var variants = page.GetProperty("skus").EnumerateArray().ToDictionary(v => v.GetProperty("code").GetString()!);
        Assert.Equal("InStock", variants[$"{prefix}-M"].GetProperty("stock").GetString());
        Assert.Equal("OutOfStock", variants[$"{prefix}-S"].GetProperty("stock").GetString());
        Assert.Equal(15m, variants[$"{prefix}-S"].GetProperty("price").GetProperty("amount").GetDecimal());
        Assert.Equal("https://img.example.com/t.jpg", variants[$"{prefix}-S"].GetProperty("images")[0].GetProperty("url").GetString());
        Assert.False(variants[$"{prefix}-M"].TryGetProperty("available", out _));
    }
}
