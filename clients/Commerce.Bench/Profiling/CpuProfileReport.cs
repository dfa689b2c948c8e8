using Microsoft.Diagnostics.Tracing.Etlx;

namespace Commerce.Bench.Profiling;

/// <summary>
/// <c>profile-report TRACE</c>: where a process's CPU time went, from a trace of kernel CPU samples
/// (<c>dotnet-trace collect-linux --profile cpu-sampling</c>, which <c>deploy/profile</c> takes). Unlike the
/// EventPipe sampler, which samples every managed thread whether it runs or waits, these samples are taken only
/// while a thread is on a core, so the shares are shares of CPU actually used. Each sample goes to the component
/// nearest the top of its stack: kernel and native frames count for the managed code that called them (a socket
/// send under Npgsql is Npgsql's), so the table answers "what would get cheaper if this component did less".
/// </summary>
internal static class CpuProfileReport
{
    private sealed record Component(string Name, Func<string, bool> Owns);

    // First match wins, frame by frame from the top of the stack: order the specific before the general.
    private static readonly Component[] Components =
    [
        new("Thread-pool workers spin-waiting for work", frame => frame.Contains("LowLevelLifoSemaphore", StringComparison.Ordinal)),
        new("JIT (tiered recompilation)", frame => frame.StartsWith("libclrjit", StringComparison.Ordinal)),
        new("Npgsql: PostgreSQL protocol and its socket I/O", frame => frame.StartsWith("npgsql!", StringComparison.Ordinal)),
        new("State JSON (System.Text.Json)", frame => frame.StartsWith("system.text.json!", StringComparison.Ordinal)),
        new("Orleans serialization (message and argument codecs, copies)", frame =>
            frame.StartsWith("orleans.serialization!", StringComparison.Ordinal) || frame.Contains("OrleansCodeGen", StringComparison.Ordinal)
            || frame.Contains("MessageSerializer", StringComparison.Ordinal)),
        new("Commerce grains (the grains' own logic)", frame => frame.StartsWith("commerce.grains", StringComparison.Ordinal)),
        new("Commerce persistence (committer, journaled state)", frame => frame.StartsWith("commerce.persistence!", StringComparison.Ordinal)),
        new("Orleans messaging, scheduling, activations", frame => frame.StartsWith("orleans.", StringComparison.Ordinal)),
        new("Logging", frame => frame.StartsWith("microsoft.extensions.logging", StringComparison.Ordinal)),
        new("Sockets and pipelines (Orleans connections)", frame =>
            frame.StartsWith("system.net.sockets!", StringComparison.Ordinal) || frame.StartsWith("system.io.pipelines!", StringComparison.Ordinal)
            || frame.Contains("SystemNative_", StringComparison.Ordinal)),
        new("Async machinery (tasks, continuations, thread-pool dispatch)", frame =>
            frame.StartsWith("system.private.corelib!System.Threading", StringComparison.Ordinal)
            || frame.StartsWith("system.private.corelib!System.Runtime.CompilerServices", StringComparison.Ordinal)),
    ];

    public static int Run(string tracePath, TextWriter output)
    {
        using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(tracePath));
        var samples = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        foreach (var sample in log.Events)
        {
            if (sample.EventName != "cpu" || sample.CallStack() is not { } stack)
            {
                continue;
            }
            total++;
            var name = ComponentOf(stack);
            samples[name] = samples.GetValueOrDefault(name) + 1;
        }
        if (total == 0)
        {
            output.WriteLine($"{tracePath}: no CPU samples with stacks (was it taken with collect-linux --profile cpu-sampling?)");
            return 1;
        }
        output.WriteLine("| where the CPU time goes | samples | share |");
        output.WriteLine("| --- | ---: | ---: |");
        foreach (var (name, count) in samples.OrderByDescending(entry => entry.Value))
        {
            output.WriteLine($"| {name} | {count:N0} | {100.0 * count / total:F1}% |");
        }
        output.WriteLine($"| all | {total:N0} | 100% |");
        return 0;
    }

    private static string ComponentOf(TraceCallStack top)
    {
        for (var frame = top; frame is not null; frame = frame.Caller)
        {
            var name = frame.CodeAddress.ModuleName + "!" + frame.CodeAddress.FullMethodName;
            foreach (var component in Components)
            {
                if (component.Owns(name))
                {
                    return component.Name;
                }
            }
        }
        var module = top.CodeAddress.ModuleName;
        return module.StartsWith("libcoreclr", StringComparison.Ordinal) ? "GC and runtime (libcoreclr)"
            : module.StartsWith("vmlinux", StringComparison.Ordinal) ? "Kernel, other" : "Other";
    }
}
