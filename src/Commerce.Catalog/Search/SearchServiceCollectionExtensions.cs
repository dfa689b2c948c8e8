using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Catalog.Search;

public static class SearchServiceCollectionExtensions
{
    /// <summary>
    /// Search in PostgreSQL, as reader (ISearchIndex) and writer (ISearchIndexWriter) of one index; its tables come
    /// with the catalog's migrations (AddCommerceCatalog).
    /// </summary>
    public static IServiceCollection AddCommerceSearch(this IServiceCollection services)
    {
        services.AddSingleton<PostgresSearchIndex>();
        services.AddSingleton<ISearchIndex>(provider => provider.GetRequiredService<PostgresSearchIndex>());
        services.AddSingleton<ISearchIndexWriter>(provider => provider.GetRequiredService<PostgresSearchIndex>());
        return services;
    }
}
