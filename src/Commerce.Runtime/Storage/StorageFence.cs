namespace Commerce.Runtime.Storage;

/// <summary>
/// The partition lease a write is made under. Storage that supports fencing refuses the write with
/// <see cref="LeaseLostException"/> unless this is still the partition's current lease, so a silo
/// that was paused or cut off can never overwrite state after its partition moved.
/// </summary>
public readonly record struct StorageFence(int Partition, long Epoch, string Owner);
