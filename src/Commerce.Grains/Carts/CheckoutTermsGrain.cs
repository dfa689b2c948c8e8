using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Concurrency;

namespace Commerce.Grains.Carts;

[StatelessWorker]
[GrainType("CheckoutTerms")]
internal sealed class CheckoutTermsGrain(IOptions<CheckoutOptions> checkout) : Grain, ICheckoutTermsGrain
{
    public Task<CheckoutTerms> Get() => Task.FromResult(checkout.Value.Terms());
}
