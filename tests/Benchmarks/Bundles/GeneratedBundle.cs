namespace ExtensionCache.Benchmarks.Bundles;

/// <summary>A generated zip bundle and what it unpacks to (used to check every approach's output).</summary>
public sealed record GeneratedBundle(
    BundleShape Shape,
    string ZipPath,
    string Key,
    long ArchiveBytes,
    long UnpackedBytes,
    int Files)
{
    public string Label => Shape == BundleShape.NodeModules ? "node_modules" : "binary-heavy";
}
