using System.Collections.Immutable;
using System.Reflection;
using Commerce.Runtime.CodeGen;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Commerce.Runtime.CodeGen.Tests;

/// <summary>Runs the generator over sample sources the way the compiler does, and compiles the result.</summary>
internal static class GeneratorHarness
{
    public const string AssemblyName = "Sample.Grains";

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    /// <summary>The framework's assemblies (from the running .NET 10 shared framework) and the abstractions.</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return
        [
            .. trusted
                .Where(path => path.Length > 0 && Path.GetDirectoryName(path) == frameworkDirectory)
                .Select(path => MetadataReference.CreateFromFile(path)),
            MetadataReference.CreateFromFile(typeof(IGrain).Assembly.Location),
        ];
    }

    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create(
            AssemblyName,
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, s_parseOptions, path: $"Sample{i}.cs")),
            s_references.Value,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                concurrentBuild: false));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new GrainCodeGenerator().AsSourceGenerator()],
            parseOptions: s_parseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorOutput Run(params string[] sources) => Run(CreateCompilation(sources));

    public static GeneratorOutput Run(CSharpCompilation compilation)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorOutput(driver, (CSharpCompilation)output, diagnostics);
    }
}

/// <summary>What one generator run produced.</summary>
internal sealed record GeneratorOutput(GeneratorDriver Driver, CSharpCompilation Compilation, ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    public GeneratorRunResult RunResult => Driver.GetRunResult().Results.Single();

    /// <summary>Generated files by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources =>
        RunResult.GeneratedSources.ToDictionary(source => source.HintName, source => source.SourceText.ToString());

    public string AllSources => string.Join("\n", Sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ==== {s.Key}\n{s.Value}"));

    /// <summary>Warnings count: consumer projects treat them as errors.</summary>
    public IReadOnlyList<Diagnostic> CompilationProblems =>
        Compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

    public void AssertCompilesCleanly()
    {
        var problems = GeneratorDiagnostics.Concat(CompilationProblems).ToList();
        Assert.True(problems.Count == 0, "Expected no diagnostics, got:\n" + string.Join("\n", problems) + "\n\n" + AllSources);
    }

    /// <summary>Emits the compilation and loads it (a fresh load context per call, falling back to the default one).</summary>
    public Assembly Load()
    {
        using var stream = new MemoryStream();
        var result = Compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }
}
