using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Commerce.Runtime.Serialization;

/// <summary>
/// The runtime's serializer: System.Text.Json over records, for state documents (JSONB in
/// PostgreSQL, readable by operators and SQL) and for calls that leave the process. Calls within a
/// silo pass their immutable records by reference and never pay for serialization, so what is
/// checked on the call path is only that a type *could* cross a process boundary, once per type.
/// </summary>
public static class GrainSerializer
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static readonly ConcurrentDictionary<Type, string?> Verdicts = new();

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

    /// <summary>Throws <see cref="GrainSerializationException"/> naming the type and the offending member when <paramref name="type"/> cannot be serialized.</summary>
    public static void EnsureSerializable(Type type)
    {
        var problem = Verdicts.GetOrAdd(type, static t => FindProblem(t, [], t.Name));
        if (problem is not null)
        {
            throw new GrainSerializationException(problem, type);
        }
    }

    private static string? FindProblem(Type type, HashSet<Type> visiting, string path)
    {
        if (IsSimple(type) || typeof(IAddressable).IsAssignableFrom(type))
        {
            // Grain and observer references are sent as identities, never as object graphs.
            return null;
        }
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return FindProblem(underlying, visiting, path);
        }
        if (IsForbidden(type))
        {
            return $"{path} is of type {type.FullName}, which cannot be serialized by the grain runtime (delegates, tasks, streams, pointers, reflection and threading types never cross a grain call).";
        }
        if (type == typeof(object) || type.IsAbstract && type.GetCustomAttributes<JsonDerivedTypeAttribute>().Any() is false && !IsCollectionInterface(type))
        {
            return $"{path} is declared as {type.FullName}, which says nothing of the concrete type to deserialize; use a record or a concrete collection (or mark the base with [JsonDerivedType]).";
        }
        if (!visiting.Add(type))
        {
            return null;
        }
        try
        {
            if (type.IsArray)
            {
                return FindProblem(type.GetElementType()!, visiting, path + "[]");
            }
            if (typeof(IEnumerable).IsAssignableFrom(type))
            {
                foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
                {
                    if (FindProblem(argument, visiting, $"{path}<{argument.Name}>") is { } problem)
                    {
                        return problem;
                    }
                }
                return null;
            }
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                if (!field.IsDefined(typeof(JsonIgnoreAttribute)) && FindProblem(field.FieldType, visiting, $"{path}.{field.Name}") is { } problem)
                {
                    return problem;
                }
            }
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.IsDefined(typeof(JsonIgnoreAttribute)))
                {
                    continue;
                }
                if (FindProblem(property.PropertyType, visiting, $"{path}.{property.Name}") is { } problem)
                {
                    return problem;
                }
            }
            return null;
        }
        finally
        {
            visiting.Remove(type);
        }
    }

    private static bool IsSimple(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime) ||
        type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid) || type == typeof(DateOnly) ||
        type == typeof(TimeOnly) || type == typeof(Uri) || type == typeof(byte[]) || type == typeof(GrainId) ||
        type == typeof(Invocation.VoidResult) || type == typeof(JsonElement);

    private static bool IsForbidden(Type type) =>
        typeof(Delegate).IsAssignableFrom(type) || typeof(Task).IsAssignableFrom(type) ||
        type == typeof(ValueTask) || type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>) ||
        typeof(Stream).IsAssignableFrom(type) || type.IsPointer || type.IsByRef || type == typeof(IntPtr) || type == typeof(UIntPtr) ||
        typeof(MemberInfo).IsAssignableFrom(type) || type == typeof(Thread) || type == typeof(CancellationToken) ||
        typeof(WaitHandle).IsAssignableFrom(type) || type.IsByRefLike;

    private static bool IsCollectionInterface(Type type) =>
        type.IsInterface && type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type);
}
