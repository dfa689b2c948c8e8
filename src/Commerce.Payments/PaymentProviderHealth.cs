namespace Commerce.Payments;

/// <summary>
/// What the operator dashboard shows of the payment provider, counted in this process since it
/// started: declines (by code), calls that failed after their retries, and the last time the provider
/// refused this system's credentials — an operator's problem, never shown to customers.
/// </summary>
public sealed class PaymentProviderHealth(TimeProvider clock)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, long> declines = new(StringComparer.Ordinal);
    private long unavailable;
    private long authenticationFailures;
    private DateTimeOffset? lastAuthenticationFailure;

    public void Declined(string code)
    {
        lock (gate)
        {
            declines[code] = declines.GetValueOrDefault(code) + 1;
        }
    }

    public void Unavailable() => Interlocked.Increment(ref unavailable);

    public void AuthenticationFailed()
    {
        lock (gate)
        {
            authenticationFailures++;
            lastAuthenticationFailure = clock.GetUtcNow();
        }
    }

    public PaymentProviderFigures Figures(string provider)
    {
        lock (gate)
        {
            return new PaymentProviderFigures(provider, new Dictionary<string, long>(declines, StringComparer.Ordinal), Interlocked.Read(ref unavailable),
                authenticationFailures, lastAuthenticationFailure);
        }
    }
}

/// <param name="Declines">Declines by the provider's code (card_declined, insufficient_funds, ...).</param>
/// <param name="Unavailable">Calls that found the provider unreachable, failing or slow after every retry.</param>
/// <param name="AuthenticationFailures">Calls the provider refused for this system's credentials (an operator alert).</param>
public sealed record PaymentProviderFigures(string Provider, IReadOnlyDictionary<string, long> Declines, long Unavailable, long AuthenticationFailures, DateTimeOffset? LastAuthenticationFailure);
