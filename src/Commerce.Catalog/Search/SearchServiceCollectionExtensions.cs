using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Commerce.Catalog.Search;

public static class SearchServiceCollectionExtensions
{
    /// <summary>
    /// Search in PostgreSQL, as reader (ISearchIndex) and writer (ISearchIndexWriter) of one index; its tables come
    /// with the catalog's migrations (AddCommerceCatalog). Readers get it behind <see cref="CachedSearchIndex"/>
    /// (settings under <see cref="SearchCacheOptions.Section"/>) unless its duration is zero.
    /// </summary>
    public static IServiceCollection AddCommerceSearch(this IServiceCollection services)
    {
        services.AddOptions<SearchCacheOptions>().BindConfiguration(SearchCacheOptions.Section);
        services.AddOptions<SearchPricingOptions>().BindConfiguration(SearchPricingOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PostgresSearchIndex>();
        services.AddSingleton<ISearchIndex>(provider =>
        {
            var index = provider.GetRequiredService<PostgresSearchIndex>();
            var options = provider.GetRequiredService<IOptions<SearchCacheOptions>>();
            return options.Value.Duration > TimeSpan.Zero ? new CachedSearchIndex(index, options, provider.GetRequiredService<TimeProvider>()) : index;
        });
        services.AddSingleton<ISearchIndexWriter>(provider => provider.GetRequiredService<PostgresSearchIndex>());
        return services;
    }
}
