using ExtensionCache.Benchmarks.Cli;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks;

/// <summary>The extension-cache Native AOT binary: given, or published from extension/ when missing or stale.</summary>
public static class ExtensionBinary
{
    /// <summary>The binary's path, or null (with the reason printed) when it cannot be published.</summary>
    public static async Task<string?> ResolveAsync(BenchmarkOptions options, CancellationToken cancellationToken)
    {
        if (options.ExtensionPath is { } given)
        {
            return Given(given, "--extension");
        }

        var output = Path.Combine(options.RepoRoot, "artifacts", "bench", "extension");
        var binary = Path.Combine(output, "extension-cache");
        if (File.Exists(binary) && File.GetLastWriteTimeUtc(binary) >= NewestSource(options.RepoRoot))
        {
            return binary;
        }

        Console.WriteLine($"publishing the extension (Native AOT) into {output} ...");
        try
        {
            (await ChildProcess.RunAsync(
                ChildProcess.Info("dotnet", "publish", Path.Combine(options.RepoRoot, "extension", "ExtensionCache.Extension.csproj"), "-c", "Release", "-r", "linux-x64", "-o", output, "--nologo"),
                TimeSpan.FromMinutes(20),
                cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSucceeded();
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
        {
            Console.WriteLine($"warning: the extension could not be published; (c) is skipped.\n{Tail(exception.Message)}");
            return null;
        }

        if (!File.Exists(binary))
        {
            Console.WriteLine($"warning: publish did not produce {binary}; (c) is skipped.");
            return null;
        }

        // The linker may leave an unchanged binary untouched; mark it as built from the current sources.
        File.SetLastWriteTimeUtc(binary, DateTime.UtcNow);
        return binary;
    }

    /// <summary>A binary named on the command line (by <paramref name="option"/>): its full path, or an error if missing.</summary>
    public static string Given(string path, string option) =>
        File.Exists(path) ? Path.GetFullPath(path) : throw new FileNotFoundException($"{option} binary not found", path);

    private static DateTime NewestSource(string repoRoot)
    {
        var sources = new DirectoryInfo(Path.Combine(repoRoot, "extension"))
            .EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => !f.FullName.Contains("/bin/", StringComparison.Ordinal) && !f.FullName.Contains("/obj/", StringComparison.Ordinal))
            .Select(f => f.LastWriteTimeUtc)
            .Append(File.GetLastWriteTimeUtc(Path.Combine(repoRoot, "Directory.Packages.props")))
            .Append(File.GetLastWriteTimeUtc(Path.Combine(repoRoot, "Directory.Build.props")));
        return sources.Max();
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : text[^3000..];
}
