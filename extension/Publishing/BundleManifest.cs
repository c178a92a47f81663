namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// <c>&lt;root&gt;/&lt;name&gt;/.extension-cache-manifest.json</c>: what was published and where it came from.
/// <paramref name="Source"/> is the display form (no query string).
/// </summary>
public sealed record BundleManifest(
    string Name,
    string Source,
    string Version,
    string Sha256,
    string Format,
    long Files,
    long Directories,
    long Symlinks,
    long Bytes,
    long DownloadMs,
    long UnpackMs,
    DateTimeOffset PublishedAt);
