using System.Text.Json.Serialization;
using Commerce.Gateway.Dashboard;
using Commerce.Catalog;
using Commerce.Catalog.Import;
using Commerce.Catalog.Search;
using Commerce.Gateway.Carts;
using Commerce.Gateway.Catalog;
using Commerce.Gateway.FlashSales;
using Commerce.Gateway.Identity;
using Commerce.Gateway.Inventory;
using Commerce.Gateway.Orders;
using Commerce.Gateway.Payments;
using Commerce.Gateway.Search;
using Commerce.Gateway.Storefront;
using Commerce.Orders;
using Commerce.Payments;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Orleans.Dashboard;

namespace Commerce.Gateway;

/// <summary>
/// The HTTP face of a silo: registration of gateway services and the mapping of every route, in one
/// place. The gateway stays thin — it validates, authorizes and maps HTTP to grain calls.
/// </summary>
public static class GatewayExtensions
{
    public static IServiceCollection AddCommerceGateway(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = Problems.WithCode);
        services.AddExceptionHandler<ClusterFaults.Handler>();
        // The OpenAPI document: who may call what, and every answer that implies (see ApiContract).
        services.AddApiContract();
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres");
        // Request bodies: numbers as numbers, enums by name, no text PostgreSQL cannot store; refusals as problems.
        services.AddRequestBodies();
        services.AddGatewayIdentity();
        services.AddGatewayRateLimits();
        // Enums travel as their names ("SoldOut") over SignalR too.
        services.AddSignalR().AddJsonProtocol(json => json.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddSingleton<FlashSaleFeeds>();
        services.AddSingleton<CartFeeds>();
        services.AddHostedService<GatewayFeeds>();
        services.AddCommerceCatalog();
        services.AddCatalogImports();
        services.AddCommerceSearch();
        services.AddOrderIndex();
        services.AddPaymentGateway();
        services.AddOperatorDashboard();
        services.AddSingleton<StorefrontAssets>();
        return services;
    }

    public static WebApplication MapCommerceGateway(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapHealthChecks("/health", new HealthCheckOptions { ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status200OK } });
        app.MapIdentityApi();
        app.MapInventoryApi();
        app.MapFlashSalesApi();
        app.MapAccountsApi();
        app.MapCatalogApi();
        app.MapCatalogImportApi();
        app.MapSearchApi();
        app.MapCartsApi();
        app.MapOrdersApi();
        app.MapPaymentsApi();
        app.MapDashboard();
        // Orleans' own dashboard: unauthenticated by default, so operators only (see OrleansDashboardAccess), and not part of the API document.
        app.MapOrleansDashboard(OrleansDashboardAccess.Path).RequireAuthorization(GatewayIdentity.OperatorPolicy).ExcludeFromDescription();
        app.MapHub<FlashSaleHub>("/hubs/flash-sale");
        app.MapHub<CartHub>("/hubs/cart");
        app.MapStorefront();
        return app;
    }

    /// <summary>Healthy when PostgreSQL answers: without it no state can be read or written.</summary>
    private sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not answer", e);
            }
        }
    }
}
