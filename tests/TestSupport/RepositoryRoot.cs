using System.Reflection;

namespace ExtensionCache.TestSupport;

/// <summary>The repository's root folder, baked in at build time (tests run from their own output folders).</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = typeof(RepositoryRoot).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static string TestsNodeModules => System.IO.Path.Join(Path, "tests", "node_modules");
}
