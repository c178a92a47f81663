namespace ExtensionCache.Benchmarks.Bundles;

/// <summary>The two bundle shapes of the issue: many small text files, or a few large partly incompressible files.</summary>
public enum BundleShape
{
    NodeModules,
    BinaryHeavy,
}
