using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Commerce.Gateway;

/// <summary>
/// The Idempotency-Key conventions of every retryable endpoint (Stripe's semantics): the same key and
/// body get the saved answer, marked with <see cref="ReplayedHeader"/>; the same key with another body
/// is a 422. Where the answer is kept is up to the grain that acts (a purchase, an order).
/// </summary>
internal static class Idempotency
{
    public const string KeyHeader = "Idempotency-Key";

    /// <summary>Set on a response that repeats the saved answer to an earlier request with the same key.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    public const string RequiredMessage = "An Idempotency-Key header (1 to 255 printable characters) is required, so that a retried request acts once.";

    /// <summary>Where the key is optional: what a malformed one is told.</summary>
    public const string FormatMessage = "An Idempotency-Key is 1 to 255 printable characters.";

    /// <summary>A hash of the request body as bound, to tell a retry from another request under the same key.</summary>
    public static string Fingerprint<T>(T body) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(body)));

    public static void MarkReplayed(this HttpResponse response) => response.Headers[ReplayedHeader] = "true";
}
