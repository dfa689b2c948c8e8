namespace Commerce.Persistence;

/// <summary>
/// PostgreSQL cannot store the NUL character in <c>text</c> or <c>jsonb</c>: a write carrying one
/// fails as a whole. Grains check every caller's text before it changes memory, so that one caller's
/// bad data is refused to that caller alone and never fails a commit shared with others.
/// </summary>
public static class StorableText
{
    /// <summary>What a caller is told about text holding NUL.</summary>
    public const string Refusal = "The text contains the NUL character (\\u0000), which cannot be stored.";

    public static bool IsStorable(string? value) => value is null || !value.Contains('\0');

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="field"/> when <paramref name="value"/> holds a NUL.</summary>
    public static void EnsureStorable(string? value, string field)
    {
        if (!IsStorable(value))
        {
            throw new ArgumentException($"'{field}': {Refusal}", field);
        }
    }

    /// <summary>Throws when a serialized document holds an escaped NUL (<c>\u0000</c>), which jsonb refuses.</summary>
    public static void EnsureStorableJson(ReadOnlySpan<byte> utf8Json, string what)
    {
        var escape = "\\u0000"u8;
        var at = 0;
        while (utf8Json[at..].IndexOf(escape) is var found and >= 0)
        {
            var position = at + found;
            // An even number of backslashes before it means the first one is itself escaped text.
            var backslashes = 0;
            for (var i = position - 1; i >= 0 && utf8Json[i] == (byte)'\\'; i--)
            {
                backslashes++;
            }
            if (backslashes % 2 == 0)
            {
                throw new ArgumentException($"The {what} contains the NUL character (\\u0000), which cannot be stored.", what);
            }
            at = position + escape.Length;
        }
    }
}
