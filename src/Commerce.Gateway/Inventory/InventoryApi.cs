using System.Security.Claims;
using Commerce.Gateway.Identity;
using Commerce.Grains.Inventory;
using Orleans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Gateway.Inventory;

/// <summary>What a shopper may know of a SKU's stock: a level, never a count.</summary>
public sealed record StockAvailability(string Sku, StockLevel Level, bool BackorderAllowed);

public sealed record ReceiveStockRequest(string? WarehouseId, int? Quantity, string? Note);

public sealed record AdjustStockRequest(string? WarehouseId, int? Delta, string? Reason);

public sealed record StockSettingsRequest(int? LowStockThreshold, bool? BackorderAllowed, IReadOnlyList<string>? WarehousePriority);

/// <summary>Stock per SKU: a public coarse level; receipts, adjustments, settings and the ledger for operators.</summary>
internal static class InventoryApi
{
    public const int MaxLedgerPage = 500;

    /// <summary>More than any SKU's warehouses: each entry must name one the SKU holds stock in (the grain checks that).</summary>
    public const int MaxWarehousePriority = 50;

    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/inventory/{sku}").WithTags("Inventory");
        api.MapGet("", GetAvailability)
            .WithName("GetStockAvailability").WithSummary("In stock, low or out of stock: the public view of a SKU's stock");

        var operators = api.MapGroup("").RequireAuthorization(GatewayIdentity.OperatorPolicy);
        operators.MapGet("/stock", GetStock)
            .WithName("GetStock").WithSummary("Stock per warehouse with settings (operators)");
        operators.MapPost("/receipts", Receive)
            .WithName("ReceiveStock").WithSummary("Records units received at a warehouse; an Idempotency-Key makes retries count once (operators)");
        operators.MapPost("/adjustments", Adjust)
            .WithName("AdjustStock").WithSummary("Corrects on-hand stock with a reason (operators)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        operators.MapPut("/settings", Configure)
            .WithName("ConfigureStock").WithSummary("Sets the low-stock threshold, backorders and warehouse priority (operators)");
        operators.MapGet("/ledger", GetLedger)
            .WithName("GetStockLedger").WithSummary("Every stock change, oldest first, one keyset page at a time (operators)");
        return routes;
    }

    private static async Task<Results<Ok<StockAvailability>, ValidationProblem, ProblemHttpResult>> GetAvailability(string sku, IGrainFactory grains)
    {
        if (!Identifiers.IsCode(sku))
        {
            return InvalidSku();
        }
        var stock = await grains.GetGrain<ISkuInventoryGrain>(sku).GetStock();
        return stock is null ? UnknownSku(sku) : TypedResults.Ok(new StockAvailability(sku, stock.Level, stock.BackorderAllowed));
    }

    private static async Task<Results<Ok<StockSnapshot>, ValidationProblem, ProblemHttpResult>> GetStock(string sku, IGrainFactory grains)
    {
        if (!Identifiers.IsCode(sku))
        {
            return InvalidSku();
        }
        var stock = await grains.GetGrain<ISkuInventoryGrain>(sku).GetStock();
        return stock is null ? UnknownSku(sku) : TypedResults.Ok(stock);
    }

    private static async Task<Results<Ok<StockSnapshot>, ValidationProblem, ProblemHttpResult>> Receive(
        string sku, ReceiveStockRequest request, [FromHeader(Name = Idempotency.KeyHeader)] string? idempotencyKey, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(Identifiers.IsCode(request.WarehouseId), "warehouseId", "A warehouse id is " + Identifiers.CodeRule)
            .Check(request.Quantity is > 0, "quantity", "The quantity received must be a whole number above zero.")
            .Check(request.Note is null || request.Note.Length <= 500, "note", "A note is at most 500 characters.")
            .Check(idempotencyKey is null || Identifiers.IsIdempotencyKey(idempotencyKey), Idempotency.KeyHeader, Idempotency.FormatMessage);
        if (errors.Any)
        {
            return errors.Problem();
        }
        var result = await grains.GetGrain<ISkuInventoryGrain>(sku).Receive(new ReceiveStock(request.WarehouseId!, request.Quantity!.Value, user.OperatorName(), request.Note, idempotencyKey));
        return StockChanged(result);
    }

    private static async Task<Results<Ok<StockSnapshot>, ValidationProblem, ProblemHttpResult>> Adjust(
        string sku, AdjustStockRequest request, [FromHeader(Name = Idempotency.KeyHeader)] string? idempotencyKey, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(Identifiers.IsCode(request.WarehouseId), "warehouseId", "A warehouse id is " + Identifiers.CodeRule)
            .Check(request.Delta is not null and not 0, "delta", "An adjustment is a whole number of units, positive or negative, not zero.")
            .Check(!string.IsNullOrWhiteSpace(request.Reason) && request.Reason.Length <= 500, "reason", "Every adjustment needs a reason (at most 500 characters).")
            .Check(idempotencyKey is null || Identifiers.IsIdempotencyKey(idempotencyKey), Idempotency.KeyHeader, Idempotency.FormatMessage);
        if (errors.Any)
        {
            return errors.Problem();
        }
        var result = await grains.GetGrain<ISkuInventoryGrain>(sku).Adjust(new AdjustStock(request.WarehouseId!, request.Delta!.Value, request.Reason!, user.OperatorName(), idempotencyKey));
        return StockChanged(result);
    }

    private static async Task<Results<Ok<StockSnapshot>, ValidationProblem, ProblemHttpResult>> Configure(
        string sku, StockSettingsRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(request.LowStockThreshold is >= 0, "lowStockThreshold", "The low-stock threshold is a whole number, zero or more.")
            .Check(request.BackorderAllowed is not null, "backorderAllowed", "Say whether backorders are allowed (true or false).")
            .Check(request.WarehousePriority is null || request.WarehousePriority.Count <= MaxWarehousePriority, "warehousePriority",
                $"A warehouse priority names at most {MaxWarehousePriority} warehouses.");
        var priority = request.WarehousePriority ?? [];
        for (var i = 0; i < priority.Count && i < MaxWarehousePriority; i++)
        {
            errors.Check(Identifiers.IsCode(priority[i]), $"warehousePriority[{i}]", "A warehouse id is " + Identifiers.CodeRule)
                .Check(!priority.Take(i).Contains(priority[i], StringComparer.Ordinal), $"warehousePriority[{i}]", $"Warehouse '{priority[i]}' is named twice.");
        }
        if (errors.Any)
        {
            return errors.Problem();
        }
        var result = await grains.GetGrain<ISkuInventoryGrain>(sku).Configure(
            new ConfigureStock(request.LowStockThreshold!.Value, request.BackorderAllowed!.Value, request.WarehousePriority, user.OperatorName()));
        return StockChanged(result);
    }

    private static async Task<Results<Ok<LedgerPage>, ValidationProblem, ProblemHttpResult>> GetLedger(string sku, IGrainFactory grains, long after = 0, int limit = 100)
    {
        var errors = new FieldErrors()
            .Check(Identifiers.IsCode(sku), "sku", "A SKU is " + Identifiers.CodeRule)
            .Check(after >= 0, "after", "'after' is the sequence of the last entry seen, zero or more.")
            .Check(limit is > 0 and <= MaxLedgerPage, "limit", $"'limit' is between 1 and {MaxLedgerPage}.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var inventory = grains.GetGrain<ISkuInventoryGrain>(sku);
        if (await inventory.GetStock() is null)
        {
            return UnknownSku(sku);
        }
        return TypedResults.Ok(await inventory.GetLedger(after, limit));
    }

    private static Results<Ok<StockSnapshot>, ValidationProblem, ProblemHttpResult> StockChanged(StockChangeResult result) => result.Error switch
    {
        StockChangeError.None => TypedResults.Ok(result.Stock!),
        StockChangeError.UnknownSku => Problems.NotFound("unknown-sku", result.Message!),
        StockChangeError.UnknownWarehouse => Problems.Unprocessable("unknown-warehouse", result.Field!, result.Message!),
        StockChangeError.InsufficientStock => Problems.Conflict("insufficient-stock", result.Message!),
        _ => Problems.Unprocessable("idempotency-key-reused", Idempotency.KeyHeader, result.Message!),
    };

    private static ValidationProblem InvalidSku() => Problems.Invalid("sku", "A SKU is " + Identifiers.CodeRule);

    private static ProblemHttpResult UnknownSku(string sku) => Problems.NotFound("unknown-sku", $"There is no stock record for SKU '{sku}'.");
}
