using Commerce.Persistence;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Commerce.Grains.FlashSales;

internal sealed class FlashSaleCatalogState
{
    public List<string> SaleIds { get; set; } = [];
}

/// <summary>The ids of every flash sale, oldest first. Written once per sale, so one grain is plenty.</summary>
[GrainType("FlashSaleCatalog")]
internal sealed class FlashSaleCatalogGrain([PersistentState("catalog", GrainStorage.Name)] IPersistentState<FlashSaleCatalogState> catalog) : Grain, IFlashSaleCatalogGrain
{
    public async Task Add(string saleId)
    {
        if (catalog.State.SaleIds.Contains(saleId))
        {
            return;
        }
        catalog.State.SaleIds.Add(saleId);
        await catalog.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. catalog.State.SaleIds]);
}
