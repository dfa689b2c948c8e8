using Orleans;

namespace Commerce.Grains.Carts;

/// <summary>
/// The checkout terms the silos apply (configuration <c>Commerce:Checkout</c>), for storefronts to
/// offer exactly the shipping methods and regions carts accept. Key 0; a stateless worker, so it
/// answers on the caller's silo.
/// </summary>
[Alias("Commerce.ICheckoutTermsGrain")]
public interface ICheckoutTermsGrain : IGrainWithIntegerKey
{
    Task<CheckoutTerms> Get();
}
