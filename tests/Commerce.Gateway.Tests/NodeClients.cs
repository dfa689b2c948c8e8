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

    /// <summary>The node project, with its packages installed once.</summary>
    public static async Task<string> Installed()
    {
        var project = Project();
        if (!Directory.Exists(Path.Combine(project, "node_modules")))
        {
            await Run("npm", ["ci", "--no-audit", "--no-fund"], project);
        }
        return project;
    }
}
