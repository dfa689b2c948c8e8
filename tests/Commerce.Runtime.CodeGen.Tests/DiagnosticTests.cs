using Microsoft.CodeAnalysis;

namespace Commerce.Runtime.CodeGen.Tests;

/// <summary>Unsupported grain contracts: each is an error naming interface and member, and blocks its proxies.</summary>
public sealed class DiagnosticTests
{
    private const string BadInterfaceTemplate = """
        using System.Threading.Tasks;
        using Commerce.Runtime;

        namespace Bad
        {
            public interface IBad : IGrainWithStringKey
            {
                Task Fine();

                MEMBER
            }

            public interface IDerived : IBad
            {
                Task More();
            }

            public interface IGood : IGrainWithStringKey
            {
                Task Ping();
            }
        }
        """;

    [Theory]
    [InlineData("COMMRT001", "void Fire();", "Fire")]
    [InlineData("COMMRT001", "int Count();", "Count")]
    [InlineData("COMMRT001", "System.Collections.Generic.IAsyncEnumerable<int> Stream();", "Stream")]
    [InlineData("COMMRT002", "Task<T> Get<T>();", "Get")]
    [InlineData("COMMRT003", "Task Update(ref int value);", "Update")]
    [InlineData("COMMRT003", "Task Read(out int value);", "Read")]
    [InlineData("COMMRT003", "Task Take(in System.Guid id);", "Take")]
    [InlineData("COMMRT004", "int Count { get; }", "Count")]
    [InlineData("COMMRT004", "int this[int index] { get; }", "this[]")]
    [InlineData("COMMRT004", "event System.EventHandler Changed;", "Changed")]
    [InlineData("COMMRT004", "static abstract Task Create();", "Create")]
    [InlineData("COMMRT007", "Task Write(System.Span<byte> data);", "Write")]
    public void Unsupported_member_is_an_error_and_its_interface_and_derived_ones_get_no_proxy(string id, string member, string memberName)
    {
        var output = GeneratorHarness.Run(BadInterfaceTemplate.Replace("MEMBER", member));

        var diagnostic = Assert.Single(output.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("'Bad.IBad", diagnostic.GetMessage());
        Assert.Contains(memberName, diagnostic.GetMessage());
        AssertPointsAt(diagnostic, "Sample0.cs", lineContaining: member, BadInterfaceTemplate.Replace("MEMBER", member));

        Assert.DoesNotContain("Bad_IBad_Proxy.g.cs", output.Sources.Keys);
        Assert.DoesNotContain("Bad_IDerived_Proxy.g.cs", output.Sources.Keys);
        Assert.Contains("Bad_IGood_Proxy.g.cs", output.Sources.Keys);
        Assert.Empty(output.CompilationProblems);
    }

    [Theory]
    [InlineData("Task Update(ref int value);", "ref")]
    [InlineData("Task Read(out int value);", "out")]
    [InlineData("Task Take(in System.Guid value);", "in")]
    public void By_reference_parameter_message_names_parameter_and_modifier(string member, string modifier)
    {
        var output = GeneratorHarness.Run(BadInterfaceTemplate.Replace("MEMBER", member));

        var message = Assert.Single(output.GeneratorDiagnostics).GetMessage();
        Assert.Contains("'value'", message);
        Assert.Contains($"({modifier})", message);
    }

    [Fact]
    public void Generic_grain_interface_is_an_error()
    {
        const string source = """
            namespace Bad
            {
                public interface IRepository<T> : Commerce.Runtime.IGrainWithStringKey
                {
                    System.Threading.Tasks.Task<T> Get();
                }

                public class Outer<T>
                {
                    public interface INested : Commerce.Runtime.IGrainWithStringKey
                    {
                        System.Threading.Tasks.Task Ping();
                    }
                }
            }
            """;
        var output = GeneratorHarness.Run(source);

        Assert.Equal(["COMMRT005", "COMMRT005"], output.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Contains(output.GeneratorDiagnostics, d => d.GetMessage().Contains("'Bad.IRepository<T>'"));
        Assert.Contains(output.GeneratorDiagnostics, d => d.GetMessage().Contains("'Bad.Outer<T>.INested'"));
        Assert.Empty(output.Sources);
        Assert.Empty(output.CompilationProblems);
    }

    [Fact]
    public void Private_grain_interface_and_grain_class_are_errors()
    {
        const string source = """
            namespace Bad
            {
                public class Holder
                {
                    private interface IHidden : Commerce.Runtime.IGrainWithStringKey
                    {
                        System.Threading.Tasks.Task Ping();
                    }

                    private sealed class HiddenGrain : Commerce.Runtime.Grain
                    {
                    }
                }
            }
            """;
        var output = GeneratorHarness.Run(Samples.GrainStub, source);

        Assert.Equal(["COMMRT006", "COMMRT006"], output.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Contains(output.GeneratorDiagnostics, d => d.GetMessage().Contains("interface 'Bad.Holder.IHidden'"));
        Assert.Contains(output.GeneratorDiagnostics, d => d.GetMessage().Contains("class 'Bad.Holder.HiddenGrain'"));
        Assert.Empty(output.Sources);
        Assert.Empty(output.CompilationProblems);
    }

    [Fact]
    public void Bad_member_of_a_shared_non_grain_base_is_reported_once_at_the_member()
    {
        const string source = """
            namespace Bad
            {
                public interface ISyncable
                {
                    void Sync();
                }

                public interface IOne : Commerce.Runtime.IGrainWithStringKey, ISyncable
                {
                }

                public interface ITwo : Commerce.Runtime.IGrainWithStringKey, ISyncable
                {
                }
            }
            """;
        var output = GeneratorHarness.Run(source);

        var diagnostic = Assert.Single(output.GeneratorDiagnostics);
        Assert.Equal("COMMRT001", diagnostic.Id);
        Assert.Contains("'Bad.ISyncable.Sync' returns 'void'", diagnostic.GetMessage());
        AssertPointsAt(diagnostic, "Sample0.cs", lineContaining: "void Sync();", source);
        Assert.Empty(output.Sources);
    }

    private static void AssertPointsAt(Diagnostic diagnostic, string file, string lineContaining, string source)
    {
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal(file, span.Path);
        var expectedLine = source.Split('\n').ToList().FindIndex(line => line.Contains(lineContaining));
        Assert.Equal(expectedLine, span.StartLinePosition.Line);
    }
}
