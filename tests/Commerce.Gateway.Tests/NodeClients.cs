using System.Diagnostics;

namespace Commerce.Gateway.Tests;

/// <summary>Real JavaScript clients (<c>@microsoft/signalr</c> under node) run from the node project beside the tests.</summary>
internal static class NodeClients
{
    /// <summary>The node project beside this file in the source tree (node_modules is installed there, git-ignored).</summary>
    public static string Project()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "Commerce.Gateway.Tests", "signalr");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("tests/Commerce.Gateway.Tests/signalr not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs a child process to completion; its standard output is returned, a failure shows both streams.</summary>
    public static async Task<string> Run(string program, string[] arguments, string directory, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}: is it installed (Debian: nodejs npm)?");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Only reached if something hangs: the script gives up on its own after two minutes.
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(patience.Token);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return await stdout;
    }

    private static readonly Lazy<Task<string>> Installation = new(InstallAsync);

    /// <summary>
    /// The node project, with its packages installed once per test run. Test classes run in parallel:
    /// they share one installation. npm writes node_modules/.package-lock.json when an install
    /// completes, so a node_modules left by an install that was cut short does not count.
    /// </summary>
    public static Task<string> Installed() => Installation.Value;

    private static async Task<string> InstallAsync()
    {
        var project = Project();
        if (!File.Exists(Path.Combine(project, "node_modules", ".package-lock.json")))
        {
            await Run("npm", ["ci", "--no-audit", "--no-fund"], project);
        }
        return project;
    }
}
