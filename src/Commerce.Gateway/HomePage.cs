namespace Commerce.Gateway;

/// <summary>The placeholder root page: where to go from here until the storefront exists.</summary>
internal static class HomePage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Commerce</title>
        <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}</style></head>
        <body>
          <h1>Commerce</h1>
          <p>This silo is running. Useful addresses:</p>
          <ul>
            <li><a href="/dashboard">/dashboard</a> — the operator dashboard (sign in with the operator key)</li>
            <li><a href="/health">/health</a> — readiness (PostgreSQL reachable)</li>
            <li><a href="/orleans-dashboard/">/orleans-dashboard/</a> — Orleans' own dashboard: silos, grains, reminders (operators)</li>
            <li><a href="/openapi/v1.json">/openapi/v1.json</a> — the REST API description</li>
          </ul>
        </body>
        </html>
        """;
}
