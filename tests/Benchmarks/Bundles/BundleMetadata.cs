namespace ExtensionCache.Benchmarks.Bundles;

/// <summary>Sidecar of a cached bundle zip, so a cached bundle is trusted only if it was completely written.</summary>
public sealed record BundleMetadata(string Key, long ArchiveBytes, long UnpackedBytes, int Files);
