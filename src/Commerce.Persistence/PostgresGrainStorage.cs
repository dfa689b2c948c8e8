using System.Diagnostics;
using System.Globalization;
using Orleans.Storage;

namespace Commerce.Persistence;

/// <summary>
/// Orleans grain storage for cold grains (<c>[PersistentState("cart", PostgresGrainStorage.Name)]</c>):
/// the same <c>grain_state</c> rows, jsonb documents and version rule as the hot grains' journaled state,
/// so that every grain's state reads the same way from SQL. The ETag is the row's version.
/// </summary>
internal sealed class PostgresGrainStorage(GrainStateStore store, StorageMetrics metrics) : IGrainStorage
{
    public const string Name = GrainStorage.Name;

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var started = Stopwatch.GetTimestamp();
        var stored = await store.ReadAsync(TypeOf(grainId), KeyOf(grainId), stateName, CancellationToken.None);
        metrics.Read(Stopwatch.GetElapsedTime(started));
        if (stored is null)
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        grainState.State = StateJson.Deserialize<T>(stored.Json);
        grainState.ETag = stored.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var json = StateJson.SerializeToUtf8Bytes(grainState.State);
        StorableText.EnsureStorableJson(json, $"state '{stateName}'");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var version = await store.WriteAsync(TypeOf(grainId), KeyOf(grainId), stateName, json, VersionOf(grainState.ETag), [], CancellationToken.None);
            grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        catch (Exception e)
        {
            metrics.WriteFailed(e is InconsistentStateException);
            throw;
        }
        metrics.Wrote(Stopwatch.GetElapsedTime(started));
        metrics.Committed(1);
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await store.ClearAsync(TypeOf(grainId), KeyOf(grainId), stateName, VersionOf(grainState.ETag), CancellationToken.None);
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    internal static string TypeOf(GrainId grainId) => grainId.Type.ToString()!;

    internal static string KeyOf(GrainId grainId) => grainId.Key.ToString()!;

    private static long? VersionOf(string? etag) => etag is null ? null : long.Parse(etag, CultureInfo.InvariantCulture);
}

/// <summary>The name cold grains give their state's storage: <c>[PersistentState("cart", GrainStorage.Name)]</c>.</summary>
public static class GrainStorage
{
    public const string Name = "commerce";
}
