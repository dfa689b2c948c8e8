// Placeholder host: replaced by the silo composition (runtime + PostgreSQL + gateway).
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "healthy" }));
app.MapGet("/", () => Results.Content("<!doctype html><title>Commerce</title><h1>Commerce silo</h1>", "text/html"));
app.Run();
