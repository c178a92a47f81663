using System.Diagnostics;

namespace ExtensionCache.Tests.Wrapper;

/// <summary>
/// Runs the real <c>layer/opt/extension-cache-wrapper</c> under a given shell (dash is Debian's /bin/sh, bash is
/// Amazon Linux's) with exactly the given environment, the runtime command being <c>/usr/bin/env</c> (or another):
/// what the exec'd command sees is what the runtime would see.
/// </summary>
internal static class WrapperScript
{
    public static string FilePath { get; } = Path.Join(RepositoryRoot.Path, "layer", "opt", "extension-cache-wrapper");

    public static readonly string[] Shells = ["dash", "bash"];

    public static async Task<WrapperRun> RunAsync(string shell, IReadOnlyDictionary<string, string> environment, params string[] command)
    {
        var info = new ProcessStartInfo(shell)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(FilePath);
        foreach (var part in command.Length > 0 ? command : ["/usr/bin/env"])
        {
            info.ArgumentList.Add(part);
        }

        info.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(guard.Token);
        return new WrapperRun(process.ExitCode, process.Id, Lines(await stdout), Lines(await stderr), clock.Elapsed);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>What one run printed: stdout is the command's (with <c>/usr/bin/env</c>, its environment), stderr the wrapper's log.</summary>
internal sealed record WrapperRun(int ExitCode, int Pid, string[] Stdout, string[] Stderr, TimeSpan Elapsed)
{
    /// <summary>The exec'd <c>/usr/bin/env</c>'s variables.</summary>
    public IReadOnlyDictionary<string, string> Environment =>
        Stdout.Where(l => l.Contains('=', StringComparison.Ordinal)).ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);

    public string? Variable(string name) => Environment.GetValueOrDefault(name);

    /// <summary>The wrapper's single log line.</summary>
    public string LogLine => Assert.Single(Stderr);

    /// <summary>A <c>key=value</c> field of the text log line (values without blanks).</summary>
    public string Field(string key)
    {
        var start = LogLine.IndexOf($" {key}=", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {key}= in: {LogLine}");
        var value = LogLine[(start + key.Length + 2)..];
        return value.Split(' ')[0];
    }
}
