using System.Diagnostics;

namespace ExtensionCache.Tests.Interop;

/// <summary>
/// Runs a producer's or an extractor's bash command the way every interop test does: in a folder, with $O (the
/// output or input archive), $P (the producer scripts) and $PREFIXED set, in UTC and a UTF-8 locale.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class ProducerShell
{
    public static string Scripts { get; } = Path.Join(RepositoryRoot.Path, "tests", "ExtensionCache.Tests", "Interop", "producers");

    /// <summary>Runs <paramref name="command"/>; fails loudly on a non-zero exit.</summary>
    public static void Run(string command, string directory, string? output)
    {
        var (exitCode, stderr) = TryRun(command, directory, output);
        Assert.True(exitCode == 0, $"'{command}' failed with exit code {exitCode} (is the tool installed?):\n{stderr}");
    }

    /// <summary>Runs <paramref name="command"/> and returns its exit code and its output (stderr, then stdout).</summary>
    public static (int ExitCode, string Output) TryRun(string command, string directory, string? output)
    {
        var start = new ProcessStartInfo("bash", ["-c", "set -eo pipefail; " + command])
        {
            WorkingDirectory = directory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["O"] = output ?? string.Empty;
        start.Environment["P"] = Scripts;
        start.Environment["PREFIXED"] = InteropTree.PrefixedPath;
        start.Environment["TZ"] = "UTC";
        start.Environment["LC_ALL"] = "C.UTF-8";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{command}' did not finish within two minutes");
        }

        return (process.ExitCode, stderr.Result + stdout.Result);
    }
}
