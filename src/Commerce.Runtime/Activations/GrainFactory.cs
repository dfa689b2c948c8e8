using Commerce.Runtime.Invocation;

namespace Commerce.Runtime.Activations;

/// <summary>Creates generated proxies bound to the silo's dispatcher.</summary>
internal sealed class GrainFactory(SiloRuntime runtime) : IGrainFactory
{
    public TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey => Create<TGrain>(key);

    public TGrain GetGrain<TGrain>(Guid key) where TGrain : IGrainWithGuidKey => Create<TGrain>(key.ToString("N"));

    public TGrain GetGrain<TGrain>(long key) where TGrain : IGrainWithIntegerKey =>
        Create<TGrain>(key.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private TGrain Create<TGrain>(string key)
    {
        GrainId.ValidateKey(key);
        var info = runtime.Registry.GetGrainInterface(typeof(TGrain));
        return (TGrain)(object)info.ProxyFactory(runtime.Dispatcher, new GrainId(info.Implementation!.GrainType, key));
    }

    public TObserver CreateObjectReference<TObserver>(TObserver observer) where TObserver : class, IGrainObserver
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (observer is GrainReference)
        {
            throw new ArgumentException("Pass the observer object itself, not a reference to it.", nameof(observer));
        }
        var info = runtime.Registry.GetInterface(typeof(TObserver));
        var grainId = new GrainId(GrainClassInfo.Observer.GrainType, ObserverKeys.Create(runtime.Messenger is null ? null : runtime.LocalEndpoint));
        runtime.Catalog.Add(new Activation(runtime, grainId, observer));
        return (TObserver)(object)info.ProxyFactory(runtime.Dispatcher, grainId);
    }

    public void DeleteObjectReference<TObserver>(TObserver reference) where TObserver : class, IGrainObserver
    {
        if (reference is not GrainReference { } grainReference || grainReference.GrainId.Type != GrainClassInfo.Observer.GrainType)
        {
            throw new ArgumentException("Not an observer reference made by CreateObjectReference.", nameof(reference));
        }
        if (runtime.Catalog.Find(grainReference.GrainId) is { } activation)
        {
            activation.Retire();
        }
    }
}
