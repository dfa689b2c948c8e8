// The cluster tests start several processes each and measure failover times on a 2-core machine:
// one test at a time, so that what they measure is the cluster, not a neighbour test's load.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
