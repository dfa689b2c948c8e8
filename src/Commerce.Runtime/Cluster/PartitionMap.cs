namespace Commerce.Runtime.Cluster;

/// <summary>
/// Grain identity → partition, and partition → silo. The hash is FNV-1a over the id's characters:
/// stable across processes, machines and .NET versions (string.GetHashCode is randomized per process).
/// Partitions go to silos by rendezvous hashing, so a silo joining or leaving moves only the
/// partitions it gains or loses, about 1/N of them.
/// </summary>
public static class PartitionMap
{
    /// <summary>Fixed for the life of a cluster's database: the lease table holds one row per partition.</summary>
    public const int Count = 1024;

    public static int PartitionOf(GrainId grainId)
    {
        var hash = Fnv(Fnv(14695981039346656037UL, grainId.Type), "/");
        hash = Fnv(hash, grainId.Key);
        return (int)(hash % Count);
    }

    /// <summary>The silo that should own <paramref name="partition"/> among <paramref name="silos"/> (rendezvous hashing).</summary>
    public static string? DesiredOwner(int partition, IReadOnlyList<string> silos)
    {
        string? best = null;
        ulong bestScore = 0;
        foreach (var silo in silos)
        {
            var score = Mix(Fnv(14695981039346656037UL, silo) ^ (ulong)partition * 0x9E3779B97F4A7C15UL);
            if (best is null || score > bestScore || score == bestScore && string.CompareOrdinal(silo, best) < 0)
            {
                best = silo;
                bestScore = score;
            }
        }
        return best;
    }

    private static ulong Fnv(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    /// <summary>A finalizer (from splitmix64) so that nearby partition numbers get unrelated scores.</summary>
    private static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
