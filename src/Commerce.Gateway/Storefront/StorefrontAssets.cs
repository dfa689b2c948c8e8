namespace Commerce.Gateway.Storefront;

/// <summary>The storefront's build (clients/storefront/dist: index.html and Vite's hashed files under assets/).</summary>
public sealed class StorefrontAssets() : EmbeddedAssets("storefront/");
