using Commerce.Runtime.Cluster;

namespace Commerce.Runtime.Tests;

public sealed class PartitionMapTests
{
    private static readonly string[] Three = ["127.0.0.1:11111@1", "127.0.0.1:11112@1", "127.0.0.1:11113@1"];

    [Fact]
    public void A_grain_always_maps_to_the_same_partition_and_keys_spread_over_all_partitions()
    {
        var grain = new GrainId("SkuInventoryGrain", "sku-42");
        Assert.Equal(PartitionMap.PartitionOf(grain), PartitionMap.PartitionOf(new GrainId("SkuInventoryGrain", "sku-42")));
        var used = Enumerable.Range(0, 50_000).Select(i => PartitionMap.PartitionOf(new GrainId("SkuInventoryGrain", $"sku-{i}"))).ToHashSet();
        Assert.Equal(PartitionMap.Count, used.Count);
    }

    [Fact]
    public void Partitions_spread_evenly_and_a_joining_silo_takes_only_what_it_gets()
    {
        var before = Enumerable.Range(0, PartitionMap.Count).Select(p => PartitionMap.DesiredOwner(p, Three)).ToList();
        foreach (var silo in Three)
        {
            Assert.InRange(before.Count(o => o == silo), 280, 400);
        }
        var four = Three.Append("127.0.0.1:11114@1").ToList();
        var after = Enumerable.Range(0, PartitionMap.Count).Select(p => PartitionMap.DesiredOwner(p, four)).ToList();
        var moved = Enumerable.Range(0, PartitionMap.Count).Where(p => before[p] != after[p]).ToList();
        // Every partition that moved went to the new silo; no partition moved between old silos.
        Assert.All(moved, p => Assert.Equal("127.0.0.1:11114@1", after[p]));
        Assert.InRange(moved.Count, 200, 320);
    }

    [Fact]
    public void A_leaving_silo_gives_up_only_its_own_partitions()
    {
        var before = Enumerable.Range(0, PartitionMap.Count).Select(p => PartitionMap.DesiredOwner(p, Three)).ToList();
        var after = Enumerable.Range(0, PartitionMap.Count).Select(p => PartitionMap.DesiredOwner(p, Three[..2])).ToList();
        Assert.All(Enumerable.Range(0, PartitionMap.Count).Where(p => before[p] != after[p]), p => Assert.Equal(Three[2], before[p]));
    }
}
