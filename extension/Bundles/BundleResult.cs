namespace ExtensionCache.Extension.Bundles;

/// <summary>
/// What <see cref="BundleCache.PrepareAsync"/> did for one bundle. <paramref name="DownloadMs"/> is the time until
/// the last byte arrived; <paramref name="UnpackMs"/> the time until the last entry was written (the two overlap,
/// since entries are unpacked while the archive streams in). Both are 0 when the bundle was reused.
/// <paramref name="DownloadedBytes"/> is what came over the network for the archive (0 when reused);
/// <paramref name="DeltaBytesSaved"/> is what a delta update did not have to download because unchanged entries were
/// taken from the previous version (0 for a full download). Both feed the metrics.
/// </summary>
public sealed record BundleResult(
    string Name,
    string PublishedPath,
    bool Reused,
    string ReuseReason,
    string Version,
    string Sha256,
    long Files,
    long Bytes,
    long DownloadMs,
    long UnpackMs,
    long DownloadedBytes = 0)
{
    /// <summary>
    /// Archive bytes a delta update or a resume did not download because the entries were already on disk (the
    /// archive's length minus the central directory and the ranges fetched); 0 for a full fetch or a reuse.
    /// </summary>
    public long DeltaBytesSaved { get; init; }

    /// <summary>Files hard-linked from the published version or a killed attempt instead of downloaded.</summary>
    public long DeltaFilesReused { get; init; }
}
