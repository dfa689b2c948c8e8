namespace Commerce.Payments;

/// <summary>
/// The Stripe provider's settings, bound from <c>Commerce:Payments:Stripe</c> (environment:
/// <c>Commerce__Payments__Stripe__SecretKey</c>, <c>...__WebhookSecret</c>). The keys come from
/// configuration or the environment only: never in code, never logged.
/// </summary>
public sealed class StripeOptions
{
    /// <summary>The secret key (<c>sk_test_…</c> in test mode).</summary>
    public string? SecretKey { get; set; }

    /// <summary>The webhook endpoint's signing secret (<c>whsec_…</c>).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Where the API is; unset means Stripe itself. Tests point it at the loopback stand-in.</summary>
    public string? ApiBase { get; set; }

    /// <summary>How long one request may take before it is given up and retried (with the same key).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Retries of a request that found Stripe unreachable, failing or slow; past them the saga retries later.</summary>
    public int Retries { get; set; } = 3;

    /// <summary>The first retry's delay; each next one doubles, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How old a webhook's signature may be (Stripe's recommended tolerance).</summary>
    public TimeSpan WebhookTolerance { get; set; } = TimeSpan.FromSeconds(300);
}
