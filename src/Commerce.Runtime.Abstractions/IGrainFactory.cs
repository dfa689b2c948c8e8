namespace Commerce.Runtime;

/// <summary>Creates references to grains and observers. References are cheap and need no activation.</summary>
public interface IGrainFactory
{
    TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey;

    TGrain GetGrain<TGrain>(Guid key) where TGrain : IGrainWithGuidKey;

    TGrain GetGrain<TGrain>(long key) where TGrain : IGrainWithIntegerKey;

    /// <summary>Makes a local object callable through an observer reference that grains can hold.</summary>
    TObserver CreateObjectReference<TObserver>(TObserver observer) where TObserver : class, IGrainObserver;

    /// <summary>Stops delivering to an observer reference made by <see cref="CreateObjectReference{TObserver}"/>.</summary>
    void DeleteObjectReference<TObserver>(TObserver reference) where TObserver : class, IGrainObserver;
}
