using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Commerce.Persistence;

/// <summary>
/// How grain state and journal rows are written as JSON (jsonb in PostgreSQL, readable by operators
/// and SQL): web casing, enums by name, numbers strict. System.Text.Json stores public properties
/// (and public fields) only: every state type has a round-trip test.
/// </summary>
public static class StateJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
            NumberHandling = JsonNumberHandling.Strict,
            // Value tuples ((int Available, int Reserved)) keep their values in fields.
            IncludeFields = true,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly();
        return options;
    }

    public static byte[] SerializeToUtf8Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T Deserialize<T>(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize<T>(utf8Json, Options) ?? throw new JsonException($"Stored JSON for {typeof(T).Name} was null.");
}
