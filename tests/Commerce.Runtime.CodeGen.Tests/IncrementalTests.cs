using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Commerce.Runtime.CodeGen.Tests;

/// <summary>The pipeline caches: edits that leave grain contracts alone regenerate nothing.</summary>
public sealed class IncrementalTests
{
    private const string GrainSource = """
        namespace Shop
        {
            public interface ICart : Commerce.Runtime.IGrainWithStringKey
            {
                System.Threading.Tasks.Task<int> Count();
            }

            public sealed class CartGrain : Commerce.Runtime.Grain, ICart
            {
                public System.Threading.Tasks.Task<int> Count() => System.Threading.Tasks.Task.FromResult(1);
            }
        }
        """;

    [Fact]
    public void Unrelated_edit_leaves_every_step_cached()
    {
        var (driver, compilation) = RunOnce();

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Shop { internal static class Unrelated { } }"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllOutputs(result, TrackingNames.Interfaces, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached);
        AssertAllOutputs(result, TrackingNames.GrainClasses, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached);
        AssertAllOutputs(result, TrackingNames.Model, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.All(result.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(run => run.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void Editing_a_grain_method_body_leaves_the_model_unchanged()
    {
        var (driver, compilation) = RunOnce();

        var result = driver.RunGenerators(Replace(compilation, "FromResult(1)", "FromResult(2)")).GetRunResult().Results.Single();

        AssertAllOutputs(result, TrackingNames.Model, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void Changing_a_grain_contract_regenerates()
    {
        var (driver, compilation) = RunOnce();
        var edited = Replace(compilation, "Task<int> Count();", "Task<int> Count(); System.Threading.Tasks.Task Clear();");

        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllOutputs(result, TrackingNames.Model, IncrementalStepRunReason.Modified);
        Assert.Contains(result.GeneratedSources, source => source.SourceText.ToString().Contains("Shop_ICart_Proxy_Clear_1"));
    }

    [Fact]
    public void Pipeline_outputs_hold_no_symbols_syntax_or_compilations()
    {
        var (driver, _) = RunOnce();
        var result = driver.GetRunResult().Results.Single();

        foreach (var name in new[] { TrackingNames.Interfaces, TrackingNames.GrainClasses, TrackingNames.Model })
        {
            foreach (var output in result.TrackedSteps[name].SelectMany(step => step.Outputs))
            {
                AssertNoRoslynObjects(output.Value, path: name);
            }
        }
    }

    private static (GeneratorDriver Driver, Compilation Compilation) RunOnce()
    {
        var compilation = GeneratorHarness.CreateCompilation(Samples.GrainStub, GrainSource);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        Assert.Equal(2, driver.GetRunResult().Results.Single().GeneratedSources.Length);
        return (driver, compilation);
    }

    private static Compilation Replace(Compilation compilation, string oldText, string newText)
    {
        var tree = compilation.SyntaxTrees.Single(t => t.ToString().Contains(oldText));
        var newTree = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(tree.ToString().Replace(oldText, newText)));
        return compilation.ReplaceSyntaxTree(tree, newTree);
    }

    private static void AssertAllOutputs(GeneratorRunResult result, string step, params IncrementalStepRunReason[] allowed)
    {
        var outputs = result.TrackedSteps[step].SelectMany(run => run.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, output => Assert.Contains(output.Reason, allowed));
    }

    /// <summary>Walks an output's object graph: symbols or syntax would defeat caching and keep compilations alive.</summary>
    private static void AssertNoRoslynObjects(object? value, string path, int depth = 0)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || depth > 10)
        {
            return;
        }
        Assert.False(
            value is ISymbol or SyntaxNode or Compilation or SemanticModel or SyntaxTree or Location,
            $"{path} holds a {value.GetType()}");
        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items)
            {
                AssertNoRoslynObjects(item, $"{path}[{i++}]", depth + 1);
            }
            return;
        }
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertNoRoslynObjects(field.GetValue(value), $"{path}.{field.Name}", depth + 1);
        }
    }
}
