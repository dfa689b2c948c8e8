namespace Commerce.Payments;

/// <summary>
/// The payment provider could not be asked (unreachable, 5xx, timed out after every retry, or it
/// refused this system's credentials): the call is in doubt, not refused. A <see cref="TimeoutException"/>,
/// so that every layer treating an in-doubt call as retryable does so — the order saga keeps the order
/// pending and its reminder asks again with the same idempotency key; HTTP answers 503 with Retry-After.
/// </summary>
public sealed class PaymentProviderUnavailableException(string message, Exception? inner = null) : TimeoutException(message, inner);
