namespace ExtensionCache.Benchmarks.Cli;

/// <summary>Finds the repository (the folder holding ExtensionCache.sln) from the working directory or the binary.</summary>
public static class RepoRoot
{
    public static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ExtensionCache.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Cannot find ExtensionCache.sln above the working directory; run from the repository.");
    }
}
