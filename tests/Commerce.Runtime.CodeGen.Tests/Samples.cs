namespace Commerce.Runtime.CodeGen.Tests;

/// <summary>Sample consumer sources, compiled against the real abstractions.</summary>
internal static class Samples
{
    /// <summary>Commerce.Runtime.Grain lives in Commerce.Runtime, not written yet: a stub with its full name.</summary>
    public const string GrainStub = """
        namespace Commerce.Runtime
        {
            public abstract class Grain
            {
            }
        }
        """;

    /// <summary>
    /// A representative set: the four return shapes, grain interface inheritance, a generic non-grain base,
    /// an observer, IRemindable, flags, keyword names, nullable and default parameters, nested and internal
    /// interfaces, same simple names in two namespaces, clashing inherited methods, grain classes, and a
    /// fake implementation for the end-to-end tests.
    /// </summary>
    public const string Catalog = """
        namespace Sample.Catalog
        {
            using System;
            using System.Collections.Generic;
            using System.Diagnostics.CodeAnalysis;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;
            using Commerce.Runtime;

            public enum Currency { Eur = 1, Usd = 2, Unknown = -1 }

            public interface IPriced : IGrainWithStringKey
            {
                [ReadOnly]
                Task<decimal> GetPrice(Currency currency = Currency.Eur);
            }

            /// <summary>Not a grain interface itself: its methods are implemented for IProduct.</summary>
            public interface IHasLabel<T>
            {
                [ReadOnly]
                ValueTask<T> GetLabel();
            }

            public interface IProduct : IPriced, IHasLabel<string?>
            {
                Task Rename(string name, string? reason = null);

                [AlwaysInterleave]
                ValueTask<string?> Describe(int @event, bool verbose = true, string? culture = "en-\"GB\"");

                [ReadOnly, AlwaysInterleave]
                ValueTask Touch();

                Task<(int Count, string? First)> Tag(params string[] tags);

                Task<int> Defaults(
                    double ratio = 0.5,
                    float scale = 2.5f,
                    long offset = -3,
                    char separator = '\'',
                    decimal discount = 1.25m,
                    Currency? fallback = Currency.Unknown,
                    CancellationToken cancellationToken = default,
                    object? extra = null,
                    ulong big = ulong.MaxValue,
                    double missing = double.NaN);

                Task<IReadOnlyList<string?>?> Find(string? prefix, int[]? ids, Guid id, DateTimeOffset? since);
            }

            public interface IProductObserver : IGrainObserver
            {
                ValueTask PriceChanged(string sku, decimal price);
            }

            public interface IRestock : IGrainWithIntegerKey, IRemindable
            {
                Task Schedule(TimeSpan every);
            }

            internal interface IInternalCounter : IGrainWithGuidKey
            {
                Task<long> Increment(long by = 1);
            }

            public interface IEmpty : IGrainWithStringKey
            {
            }

            public static class Outer
            {
                public interface INested : IGrainWithStringKey
                {
                    Task<int> Get();
                }

                internal class Inner
                {
                    internal interface INested : IGrainWithStringKey
                    {
                        Task<int> Get(int request);
                    }
                }
            }

            public interface IA : IGrainWithStringKey
            {
                Task Ping();

                /// <summary>A default implementation: the proxy forwards it like any method.</summary>
                Task<int> Twice(int value) => Task.FromResult(value * 2);
            }

            public interface IB : IGrainWithStringKey
            {
                Task Ping();

                /// <summary>Named like GrainReference members: explicit implementation keeps them apart.</summary>
                Task Send(string message);

                Task<string> ToString(int format);

                Task Store([AllowNull] string value, [DisallowNull] string? key);
            }

            public interface IAB : IA, IB
            {
                new Task Ping();
            }

            public sealed class CounterGrain : Grain, IInternalCounter
            {
                public Task<long> Increment(long by = 1) => Task.FromResult(by);
            }

            public abstract class AbstractGrain : Grain
            {
            }

            public class DerivedGrain : AbstractGrain
            {
            }

            public class GenericGrain<T> : Grain
            {
            }

            public class NotAGrain : Exception
            {
            }

            /// <summary>What the end-to-end tests call through the proxy.</summary>
            public sealed class FakeProduct : IProduct
            {
                public List<string> Calls { get; } = new();

                public Task<decimal> GetPrice(Currency currency = Currency.Eur)
                {
                    Calls.Add($"GetPrice({currency})");
                    return Task.FromResult(currency == Currency.Usd ? 12.5m : 10m);
                }

                public ValueTask<string?> GetLabel() => new("label");

                public async Task Rename(string name, string? reason = null)
                {
                    await Task.Yield();
                    Calls.Add($"Rename({name}, {reason ?? "null"})");
                }

                public ValueTask<string?> Describe(int @event, bool verbose = true, string? culture = "en-\"GB\"")
                {
                    Calls.Add($"Describe({@event}, {verbose}, {culture})");
                    return new ValueTask<string?>($"{@event}/{verbose}/{culture}");
                }

                public ValueTask Touch()
                {
                    Calls.Add("Touch");
                    return default;
                }

                public Task<(int Count, string? First)> Tag(params string[] tags) =>
                    Task.FromResult((tags.Length, tags.FirstOrDefault()));

                public Task<int> Defaults(
                    double ratio = 0.5,
                    float scale = 2.5f,
                    long offset = -3,
                    char separator = '\'',
                    decimal discount = 1.25m,
                    Currency? fallback = Currency.Unknown,
                    CancellationToken cancellationToken = default,
                    object? extra = null,
                    ulong big = ulong.MaxValue,
                    double missing = double.NaN) =>
                    throw new InvalidOperationException("out of stock");

                public Task<IReadOnlyList<string?>?> Find(string? prefix, int[]? ids, Guid id, DateTimeOffset? since) =>
                    Task.FromResult<IReadOnlyList<string?>?>(new[] { prefix, ids?.Length.ToString(), id.ToString() });
            }
        }

        namespace Sample.Other
        {
            using System.Threading.Tasks;

            /// <summary>Same simple name as Sample.Catalog.IProduct.</summary>
            public interface IProduct : Commerce.Runtime.IGrainWithStringKey
            {
                Task<string> Name();

                Task @checked(string @event, int @class = 1, string? @string = null);
            }
        }

        #nullable disable
        namespace Sample.Legacy
        {
            using System.Threading.Tasks;

            /// <summary>Nullable-oblivious signatures.</summary>
            public interface IOblivious : Commerce.Runtime.IGrainWithStringKey
            {
                Task<string> Echo(string text, string fallback = null);
            }
        }
        #nullable restore
        """;
}
