using System.Buffers;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Runtime.Activations;
using Commerce.Runtime.Invocation;
using Commerce.Runtime.Serialization;

namespace Commerce.Runtime.Messaging;

/// <summary>
/// Arguments, results and exceptions of calls that cross a process boundary, as JSON with the
/// runtime's options plus one addition: grain and observer references travel as their identity and
/// come back as proxies bound to this process's runtime, so a grain can hand an observer to a grain
/// on another silo.
/// </summary>
internal sealed class WireSerializer
{
    private readonly JsonSerializerOptions _options;

    public WireSerializer(GrainRegistry registry, IGrainCallSink sink)
    {
        _options = new JsonSerializerOptions(GrainSerializer.Options);
        _options.Converters.Add(new GrainReferenceConverterFactory(registry, sink));
        _options.MakeReadOnly();
    }

    public void WriteArguments(IBufferWriter<byte> output, Request request)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartArray();
        var types = request.Method.ParameterTypes;
        for (var i = 0; i < request.ArgumentCount; i++)
        {
            JsonSerializer.Serialize(writer, request.GetArgument(i), types[i], _options);
        }
        writer.WriteEndArray();
    }

    public object?[] ReadArguments(ReadOnlySpan<byte> json, GrainMethodDescriptor method)
    {
        var types = method.ParameterTypes;
        var arguments = new object?[types.Count];
        var reader = new Utf8JsonReader(json);
        reader.Read();
        for (var i = 0; i < arguments.Length; i++)
        {
            reader.Read();
            arguments[i] = JsonSerializer.Deserialize(ref reader, types[i], _options);
        }
        return arguments;
    }

    public void WriteResult(IBufferWriter<byte> output, object? result, Type type)
    {
        using var writer = new Utf8JsonWriter(output);
        JsonSerializer.Serialize(writer, result, type, _options);
    }

    public object? ReadResult(ReadOnlySpan<byte> json, Type type) => JsonSerializer.Deserialize(json, type, _options);

    public static void WriteException(IBufferWriter<byte> output, Exception exception)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("type", exception.GetType().AssemblyQualifiedName);
        writer.WriteString("name", exception.GetType().FullName);
        writer.WriteString("message", exception.Message);
        writer.WriteEndObject();
    }

    /// <summary>The same exception type when this process knows it and it takes a message; otherwise a <see cref="RemoteGrainException"/>.</summary>
    public static Exception ReadException(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        var typeName = root.GetProperty("type").GetString();
        var name = root.GetProperty("name").GetString() ?? "Exception";
        var message = root.GetProperty("message").GetString() ?? "";
        var type = typeName is null ? null : Type.GetType(typeName, throwOnError: false);
        if (type is not null && typeof(Exception).IsAssignableFrom(type) && type.GetConstructor([typeof(string)]) is { } constructor)
        {
            try
            {
                return (Exception)constructor.Invoke([message]);
            }
            catch (TargetInvocationException)
            {
                // Fall through to the generic form.
            }
        }
        return new RemoteGrainException(name, message);
    }

    private sealed class GrainReferenceConverterFactory(GrainRegistry registry, IGrainCallSink sink) : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) =>
            typeToConvert.IsInterface && typeof(IAddressable).IsAssignableFrom(typeToConvert);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(GrainReferenceConverter<>).MakeGenericType(typeToConvert), registry, sink)!;
    }

    private sealed class GrainReferenceConverter<T>(GrainRegistry registry, IGrainCallSink sink) : JsonConverter<T> where T : class
    {
        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }
            using var document = JsonDocument.ParseValue(ref reader);
            var grainId = new GrainId(document.RootElement.GetProperty("type").GetString()!, document.RootElement.GetProperty("key").GetString()!);
            return (T)(object)registry.GetInterface(typeToConvert).ProxyFactory(sink, grainId);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            if (value is not GrainReference reference)
            {
                throw new GrainSerializationException(
                    $"A {typeof(T).Name} sent to another process must be a grain reference (from GetGrain or CreateObjectReference), not the object itself.", typeof(T));
            }
            writer.WriteStartObject();
            writer.WriteString("type", reference.GrainId.Type);
            writer.WriteString("key", reference.GrainId.Key);
            writer.WriteEndObject();
        }
    }
}
