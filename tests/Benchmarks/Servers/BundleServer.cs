using ExtensionCache.Benchmarks.Bundles;

namespace ExtensionCache.Benchmarks.Servers;

/// <summary>One way of serving the bundles on loopback, as the naive download and the extension each address it.</summary>
public sealed record BundleServer(
    string Name,
    string Description,
    Func<GeneratedBundle, string> DownloadUrl,
    Func<GeneratedBundle, string> ExtensionUri,
    IReadOnlyDictionary<string, string> ExtensionEnvironment,
    Func<(int Requests, long Bytes)>? Traffic);
