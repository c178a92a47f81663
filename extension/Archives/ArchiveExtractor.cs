using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Archives;

/// <summary>Picks the extractor for a bundle's format and runs that format's checks before the download.</summary>
public static class ArchiveExtractor
{
    /// <summary>
    /// Returns the extractor for <paramref name="bundle"/>. A zip is checked first (ranges, central directory,
    /// declared sizes against <paramref name="caps"/>), reading only the object's tail; a tar needs nothing.
    /// A tar.zst must carry zstd's content checksum unless the bundle is pinned by sha256.
    /// </summary>
    public static async Task<IArchiveExtractor> OpenAsync(
        BundleSpec bundle, IBundleSource source, SourceInfo info, ExtractionCaps caps, RetryPolicy retry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return bundle.Format switch
        {
            BundleFormat.Zip => await ZipStreamExtractor.OpenAsync(source, info, caps, retry, ct).ConfigureAwait(false),
            _ => new TarStreamExtractor(bundle.Format, requireZstdChecksum: bundle.Sha256 is null, info.Tail),
        };
    }
}
