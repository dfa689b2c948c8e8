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
            <li><a href="/dashboard">/dashboard</a> — the operator dashboard: sign in with an operator account's email and password (deploy/run creates one the first time and prints it; it is kept in .data/operator-account; more with <code>commerce operator create</code>)</li>
            <li><a href="/health">/health</a> — readiness (PostgreSQL reachable)</li>
            <li><a href="/orleans-dashboard/">/orleans-dashboard/</a> — Orleans' own dashboard: silos, grains, reminders (operators; open it from the operator dashboard's link, which signs it in)</li>
            <li><a href="/openapi/v1.json">/openapi/v1.json</a> — the REST API description</li>
          </ul>
        </body>
        </html>
        """;
}
