namespace Commerce.Runtime.CodeGen.Model;

// The generator's pipeline carries only these records: strings, flags and equatable arrays, never
// symbols or syntax, so that an edit which does not change a grain contract leaves them equal and the
// emit step is skipped. Type names are pre-rendered as global::-qualified C#.

/// <summary>A grain or observer interface declared in the compilation, with every method its proxy implements.</summary>
/// <param name="SortKey">The interface's full name: orders the output deterministically.</param>
/// <param name="TypeName">The interface, fully qualified (it is never generic, so also valid in typeof).</param>
/// <param name="NameParts">Namespace segments, containing types and name: the proxy's name is made of them.</param>
/// <param name="Methods">Own methods first, then those of inherited interfaces ordered by name.</param>
/// <param name="HasErrors">True when no proxy can be generated; <paramref name="Diagnostics"/> says why.</param>
internal sealed record InterfaceModel(
    string SortKey,
    string TypeName,
    EquatableArray<string> NameParts,
    EquatableArray<MethodModel> Methods,
    EquatableArray<DiagnosticInfo> Diagnostics,
    bool HasErrors);

/// <summary>How a grain method returns its result; decides the request's result type and adapters.</summary>
internal enum ReturnKind
{
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,
}

/// <summary>One method a proxy implements (its index in the proxy's list is its method id).</summary>
/// <param name="Name">The method's name as metadata spells it (no @).</param>
/// <param name="DeclaringInterface">The interface declaring it, with nullable annotations: explicit implementation and cast.</param>
/// <param name="DeclaringInterfaceTypeOf">The same without annotations: typeof.</param>
/// <param name="ReturnType">The declared return type, annotated.</param>
/// <param name="ResultType">The awaited type, annotated: T, or VoidResult for Task and ValueTask.</param>
/// <param name="ResultTypeOf">The awaited type for typeof.</param>
internal sealed record MethodModel(
    string Name,
    string DeclaringInterface,
    string DeclaringInterfaceTypeOf,
    ReturnKind ReturnKind,
    string ReturnType,
    string ResultType,
    string ResultTypeOf,
    bool IsReadOnly,
    bool IsAlwaysInterleave,
    EquatableArray<ParameterModel> Parameters);

/// <summary>One parameter of a grain method.</summary>
/// <param name="Name">The name as metadata spells it (no @).</param>
/// <param name="Type">The type, annotated: signature and request field.</param>
/// <param name="TypeOf">The type for typeof.</param>
/// <param name="DefaultValue">The default value as a C# constant expression, or null if it has none.</param>
/// <param name="Attributes">Nullability attributes copied to the implementation, fully qualified.</param>
internal sealed record ParameterModel(
    string Name,
    string Type,
    string TypeOf,
    bool IsParams,
    string? DefaultValue,
    EquatableArray<string> Attributes);

/// <summary>A concrete grain class declared in the compilation; registered unless <paramref name="Diagnostic"/> is set.</summary>
internal sealed record GrainClassModel(string SortKey, string TypeName, DiagnosticInfo? Diagnostic);

/// <summary>Everything one compilation generates from: the input of the emit step.</summary>
/// <param name="AssemblyName">Names the manifest class.</param>
/// <param name="Interfaces">Distinct, ordered by <see cref="InterfaceModel.SortKey"/>.</param>
/// <param name="GrainClasses">Distinct, ordered by <see cref="GrainClassModel.SortKey"/>.</param>
internal sealed record GenerationModel(
    string AssemblyName,
    EquatableArray<InterfaceModel> Interfaces,
    EquatableArray<GrainClassModel> GrainClasses);
