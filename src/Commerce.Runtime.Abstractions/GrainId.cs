namespace Commerce.Runtime;

/// <summary>
/// The identity of a grain: its grain type name and its key, rendered as a string whatever the key's
/// kind, so that identities compare, hash and persist the same way everywhere.
/// </summary>
public readonly record struct GrainId
{
    /// <summary>Keys longer than this are rejected: they end up in primary keys and log lines.</summary>
    public const int MaxKeyLength = 512;

    public GrainId(string type, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        Type = type;
        Key = ValidateKey(key);
    }

    public string Type { get; }

    public string Key { get; }

    public override string ToString() => $"{Type}/{Key}";

    /// <summary>Rejects keys that cannot be stored or logged unambiguously.</summary>
    public static string ValidateKey(string? key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), "A grain key cannot be null.");
        }
        if (key.Length == 0)
        {
            throw new ArgumentException("A grain key cannot be empty.", nameof(key));
        }
        if (key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"A grain key is at most {MaxKeyLength} characters; this one has {key.Length}.", nameof(key));
        }
        foreach (var c in key)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException("A grain key cannot contain control characters.", nameof(key));
            }
        }
        return key;
    }
}
