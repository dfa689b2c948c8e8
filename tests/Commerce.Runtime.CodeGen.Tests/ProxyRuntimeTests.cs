using System.Reflection;
using Commerce.Runtime.Invocation;

namespace Commerce.Runtime.CodeGen.Tests;

/// <summary>
/// Calls through generated proxies end to end: proxy, sink, request (arguments, descriptor,
/// InvokeCore on an implementation), completion, and the caller's task.
/// </summary>
public sealed class ProxyRuntimeTests
{
    private static readonly GrainId s_grainId = new("product", "sku-42");

    private static Assembly Sample => GeneratedCodeTests.CatalogAssembly.Value;

    private static Type SampleType(string name) => Sample.GetType(name, throwOnError: true)!;

    private static object Currency(int value) => Enum.ToObject(SampleType("Sample.Catalog.Currency"), value);

    private static GrainReference Proxy(string interfaceName, IGrainCallSink sink) =>
        LoadedManifest.From(Sample).Interfaces[SampleType(interfaceName)].Factory(sink, s_grainId);

    /// <summary>Calls the interface method (explicitly implemented by the proxy) as a caller would.</summary>
    private static object? Call(object proxy, string declaringInterface, string method, params object?[] arguments) =>
        Call(proxy, SampleType(declaringInterface), method, arguments);

    private static object? Call(object proxy, Type declaringInterface, string method, params object?[] arguments) =>
        declaringInterface.GetMethod(method)!.Invoke(proxy, arguments);

    [Fact]
    public async Task Proxy_sends_one_request_and_its_task_gets_the_result_the_request_is_completed_with()
    {
        var sink = new RecordingSink();
        var proxy = Proxy("Sample.Catalog.IProduct", sink);

        var task = Assert.IsType<Task<decimal>>(Call(proxy, "Sample.Catalog.IPriced", "GetPrice", Currency(2)), exactMatch: false);

        var (target, request) = Assert.Single(sink.Sent);
        Assert.Same(proxy, target);
        Assert.Equal("Commerce.Generated.Sample_Catalog_IProduct_Proxy_GetPrice_7", request.GetType().FullName);
        Assert.Equal(1, request.ArgumentCount);
        Assert.Equal(Currency(2), request.GetArgument(0));
        Assert.Equal("GetPrice", request.Method.Name);
        Assert.Equal(InvokeFlags.ReadOnly, request.Method.Flags);
        Assert.Equal(SampleType("Sample.Catalog.IPriced"), request.Method.InterfaceType);
        Assert.False(task.IsCompleted);

        Assert.True(Assert.IsAssignableFrom<Request<decimal>>(request).TryComplete(42.5m));

        Assert.Equal(42.5m, await task);
    }

    [Fact]
    public async Task Failing_the_request_faults_the_callers_task()
    {
        var sink = new RecordingSink();
        var proxy = Proxy("Sample.Catalog.IProduct", sink);

        var task = Assert.IsAssignableFrom<Task>(Call(proxy, "Sample.Catalog.IProduct", "Rename", "new name", null));
        var request = Assert.IsAssignableFrom<Request<VoidResult>>(Assert.Single(sink.Sent).Request);
        Assert.True(request.TryFail(new TimeoutException("too slow")));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => task);
        Assert.Equal("too slow", error.Message);
    }

    [Fact]
    public void GetArgument_returns_each_argument_as_passed_and_rejects_other_indexes()
    {
        var sink = new RecordingSink();
        var proxy = Proxy("Sample.Catalog.IProduct", sink);
        int[] ids = [1, 2, 3];
        var id = Guid.NewGuid();

        Call(proxy, "Sample.Catalog.IProduct", "Find", "shoe", ids, id, null);

        var request = Assert.Single(sink.Sent).Request;
        Assert.Equal(4, request.ArgumentCount);
        Assert.Equal("shoe", request.GetArgument(0));
        Assert.Same(ids, request.GetArgument(1));
        Assert.Equal(id, request.GetArgument(2));
        Assert.Null(request.GetArgument(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => request.GetArgument(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => request.GetArgument(-1));
    }

    [Fact]
    public async Task Task_of_T_method_runs_on_the_implementation_and_returns_its_result()
    {
        var (proxy, fake, sink) = Loopback();

        var price = await (Task<decimal>)Call(proxy, "Sample.Catalog.IPriced", "GetPrice", Currency(2))!;

        Assert.Equal(12.5m, price);
        Assert.Equal(["GetPrice(Usd)"], Calls(fake));
        Assert.Equal("Sample.Catalog.IPriced.GetPrice", FullName(Assert.Single(sink.Sent).Request.Method));
    }

    [Fact]
    public async Task Task_method_completes_after_the_implementation_awaited()
    {
        var (proxy, fake, sink) = Loopback();

        await (Task)Call(proxy, "Sample.Catalog.IProduct", "Rename", "boots", null)!;

        Assert.Equal(["Rename(boots, null)"], Calls(fake));
        Assert.Equal(typeof(VoidResult), Assert.Single(sink.Sent).Request.Method.ResultType);
    }

    [Fact]
    public async Task ValueTask_of_T_method_passes_keyword_named_and_default_arguments()
    {
        var (proxy, fake, sink) = Loopback();

        var description = await (ValueTask<string>)Call(proxy, "Sample.Catalog.IProduct", "Describe", 7, false, "fr")!;

        Assert.Equal("7/False/fr", description);
        Assert.Equal(["Describe(7, False, fr)"], Calls(fake));
        var request = Assert.Single(sink.Sent).Request;
        Assert.Equal([7, false, "fr"], Enumerable.Range(0, request.ArgumentCount).Select(request.GetArgument));
        Assert.Equal(InvokeFlags.AlwaysInterleave, request.Method.Flags);
    }

    [Fact]
    public async Task ValueTask_method_completes()
    {
        var (proxy, fake, sink) = Loopback();

        await (ValueTask)Call(proxy, "Sample.Catalog.IProduct", "Touch")!;

        Assert.Equal(["Touch"], Calls(fake));
        Assert.Equal(InvokeFlags.ReadOnly | InvokeFlags.AlwaysInterleave, Assert.Single(sink.Sent).Request.Method.Flags);
    }

    [Fact]
    public async Task Params_array_tuple_result_and_generic_base_interface_methods_round_trip()
    {
        var (proxy, _, _) = Loopback();

        var tagged = await (Task<(int, string)>)Call(proxy, "Sample.Catalog.IProduct", "Tag", new object[] { new[] { "red", "sale" } })!;
        var label = await (ValueTask<string>)Call(proxy, SampleType("Sample.Catalog.IHasLabel`1").MakeGenericType(typeof(string)), "GetLabel")!;
        var found = await (Task<IReadOnlyList<string?>>)Call(proxy, "Sample.Catalog.IProduct", "Find", null, new[] { 1 }, Guid.Empty, null)!;

        Assert.Equal((2, "red"), tagged);
        Assert.Equal("label", label);
        Assert.Equal([null, "1", Guid.Empty.ToString()], found);
    }

    [Fact]
    public async Task Exception_thrown_by_the_implementation_reaches_the_caller()
    {
        var (proxy, _, _) = Loopback();
        var arguments = new object?[] { 0.5, 2.5f, -3L, 'x', 1m, null, CancellationToken.None, null, 0UL, 0.0 };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => (Task<int>)Call(proxy, "Sample.Catalog.IProduct", "Defaults", arguments)!);

        Assert.Equal("out of stock", error.Message);
    }

    [Fact]
    public async Task Observer_proxy_sends_requests_like_a_grain_proxy()
    {
        var sink = new RecordingSink();
        var proxy = Proxy("Sample.Catalog.IProductObserver", sink);

        var pending = (ValueTask)Call(proxy, "Sample.Catalog.IProductObserver", "PriceChanged", "sku-42", 9.99m)!;

        var request = Assert.IsAssignableFrom<Request<VoidResult>>(Assert.Single(sink.Sent).Request);
        Assert.Equal(["sku-42", 9.99m], Enumerable.Range(0, request.ArgumentCount).Select(request.GetArgument));
        Assert.Equal(SampleType("Sample.Catalog.IProductObserver"), request.Method.InterfaceType);
        Assert.False(pending.IsCompleted);
        request.TryComplete(default);
        await pending;
    }

    private static (GrainReference Proxy, object Fake, RecordingSink Sink) Loopback()
    {
        var fake = Activator.CreateInstance(SampleType("Sample.Catalog.FakeProduct"))!;
        var sink = new LoopbackSink(fake);
        return (Proxy("Sample.Catalog.IProduct", sink), fake, sink);
    }

    private static List<string> Calls(object fake) => (List<string>)fake.GetType().GetProperty("Calls")!.GetValue(fake)!;

    private static string FullName(GrainMethodDescriptor descriptor) => $"{descriptor.InterfaceType.FullName}.{descriptor.Name}";
}
