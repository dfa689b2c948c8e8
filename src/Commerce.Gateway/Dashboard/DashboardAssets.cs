namespace Commerce.Gateway.Dashboard;

/// <summary>The operator dashboard's files (clients/dashboard/public, the uPlot build included).</summary>
public sealed class DashboardAssets() : EmbeddedAssets("dashboard/");
