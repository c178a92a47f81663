using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks;

/// <summary>Compiles Calibration/null-extension.c, the floor of start → register on this machine and harness.</summary>
public static class NullExtension
{
    /// <summary>The compiled binary, or null (with the reason printed) when no C compiler is available.</summary>
    public static async Task<string?> BuildAsync(string repoRoot, CancellationToken cancellationToken)
    {
        var source = Path.Combine(repoRoot, "tests", "Benchmarks", "Calibration", "null-extension.c");
        var binary = Path.Combine(repoRoot, "artifacts", "bench", "null-extension");
        try
        {
            (await ChildProcess.RunAsync(ChildProcess.Info("cc", "-O2", "-D_GNU_SOURCE", "-o", binary, source), TimeSpan.FromMinutes(1), cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSucceeded();
            return binary;
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            Console.WriteLine($"warning: cannot compile the do-nothing extension ({exception.Message.Split('\n')[0]}); no start-up floor");
            return null;
        }
    }
}
