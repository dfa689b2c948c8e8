using System.CommandLine;

// commerce operator create --email ops@example.com --password '...'
// commerce catalog seed --products 200 [--skus-per-product 3] [--stock 50] [--seed 7]
// commerce demo seed   (deploy/run: a demo catalog and flash sale on an empty database, else nothing)
// commerce catalog import FILE [--gateway http://127.0.0.1:5080] (operator key from --operator-key or COMMERCE_OPERATOR_KEY)
// The database comes from --connection or Commerce__Postgres__ConnectionString (deploy/run prints it).
namespace Commerce.Cli;

/// <summary>The <c>commerce</c> command (a named class, not top-level statements, so tests can reference the assembly beside the silo's).</summary>
public static class CommerceCli
{
    public static async Task<int> Main(string[] args)
    {
        var connection = new Option<string>("--connection")
        {
            Description = "PostgreSQL connection string (default: the Commerce__Postgres__ConnectionString environment variable).",
            Recursive = true,
        };

        // Not a default value: help would print it, password and all.
        string Database(ParseResult parse) => parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("Commerce__Postgres__ConnectionString") ?? "";

        var email = new Option<string>("--email") { Description = "The operator's email address (the sign-in name).", Required = true };
        var password = new Option<string>("--password") { Description = "At least 8 characters.", Required = true };
        var createOperator = new Command("create", "Creates an operator account: the only way to get one.") { email, password };
        createOperator.SetAction((parse, ct) => OperatorCommands.Create(Database(parse), parse.GetValue(email)!, parse.GetValue(password)!, Console.Out, ct));

        var products = new Option<int>("--products") { Description = "How many products to create.", Required = true };
        var skusPerProduct = new Option<int>("--skus-per-product") { Description = "Variants (SKUs) per product, 1 to 10.", DefaultValueFactory = _ => 3 };
        var stock = new Option<int>("--stock") { Description = "Units received per SKU at warehouse 'main' (needs a running silo); 0 for none.", DefaultValueFactory = _ => 50 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed makes the same catalog (re-running updates it in place).", DefaultValueFactory = _ => 7 };
        var seedCatalog = new Command("seed", "Creates a realistic catalog with Bogus, with stock.") { products, skusPerProduct, stock, seed };
        seedCatalog.SetAction((parse, ct) => CatalogSeeder.Run(Database(parse), parse.GetValue(products), parse.GetValue(skusPerProduct), parse.GetValue(stock), parse.GetValue(seed), Console.Out, ct));

        var importFile = new Argument<string>("FILE") { Description = "The CSV file: a header row, then one row per SKU (see README, Importing a catalog)." };
        var gateway = new Option<Uri>("--gateway") { Description = "The gateway's base URL.", DefaultValueFactory = _ => new Uri("http://127.0.0.1:5080") };
        var operatorKey = new Option<string>("--operator-key") { Description = "The gateway's operator key (default: the COMMERCE_OPERATOR_KEY environment variable)." };
        var importCatalog = new Command("import", "Imports a CSV file of products and SKUs through the gateway, showing its progress.") { importFile, gateway, operatorKey };
        importCatalog.SetAction((parse, ct) => CatalogImportCommand.Run(parse.GetValue(importFile)!, parse.GetValue(gateway)!,
            parse.GetValue(operatorKey) ?? Environment.GetEnvironmentVariable("COMMERCE_OPERATOR_KEY"), Console.Out,
            inPlace: !Console.IsOutputRedirected, pollInterval: TimeSpan.FromMilliseconds(500), ct));

        var seedDemo = new Command("seed", $"On an empty catalog: {DemoSeeder.Products} generated products with stock and a flash sale starting in {DemoSeeder.SaleStartsIn.TotalMinutes:0} minutes. Otherwise nothing.");
        seedDemo.SetAction((parse, ct) => DemoSeeder.Run(Database(parse), Console.Out, ct));

        var root = new RootCommand("Commerce administration")
        {
            connection,
            new Command("operator", "Operator accounts.") { createOperator },
            new Command("catalog", "The product catalog.") { seedCatalog, importCatalog },
            new Command("demo", "A demo shop for a new database (deploy/run).") { seedDemo },
        };
        return await root.Parse(args).InvokeAsync();
    }
}
