namespace ExtensionCache.Contract;

/// <summary>
/// <c>&lt;root&gt;/&lt;name&gt;/.extension-cache-manifest.json</c>: what was published and where it came from,
/// written into the bundle before it is published. Readers ignore fields they do not know, so a newer extension
/// can add fields without breaking an older client.
/// </summary>
/// <param name="Name">The bundle name.</param>
/// <param name="Source">The source URI without its query string (presigned URLs carry credentials there).</param>
/// <param name="Version">What identifies the content at the source: S3 version id, ETag or sha256.</param>
/// <param name="Sha256">The sha256 of the archive, lower-case hex.</param>
/// <param name="Format">The archive format: <c>zip</c>, <c>tar.gz</c> or <c>tar.zst</c>.</param>
/// <param name="Files">Regular files written.</param>
/// <param name="Directories">Directories written.</param>
/// <param name="Symlinks">Symbolic links written.</param>
/// <param name="Bytes">Bytes written.</param>
/// <param name="DownloadMs">Whole milliseconds until the last byte of the archive arrived.</param>
/// <param name="UnpackMs">
/// Whole milliseconds until the last entry was written; it overlaps <paramref name="DownloadMs"/>, since entries
/// are unpacked while the archive streams in.
/// </param>
/// <param name="PublishedAt">When the bundle was published.</param>
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
