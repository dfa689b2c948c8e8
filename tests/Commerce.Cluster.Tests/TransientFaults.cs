using Orleans.Storage;

namespace Commerce.Cluster.Tests;

/// <summary>How the cluster tests look at the failures callers see (which ones are allowed: <see cref="Hosting.TransientFaults"/>).</summary>
internal static class TransientFaults
{
    public static bool IsExpected(Exception error) => Hosting.TransientFaults.IsTransient(error);

    /// <summary>A short name for counting: the type, and the inner type when it is what the wrapper says.</summary>
    public static string Kind(Exception error) =>
        error.InnerException is { } inner && error is not InconsistentStateException ? $"{error.GetType().Name}({inner.GetType().Name})" : error.GetType().Name;
}
