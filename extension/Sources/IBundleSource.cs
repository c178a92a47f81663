using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>One remote or local object that can be read whole or by byte ranges.</summary>
public interface IBundleSource
{
    /// <summary>The source as it may be logged (never a query string).</summary>
    string DisplayName { get; }

    /// <summary>
    /// Learns the object's length and version. Throws <see cref="BundleException"/> for a missing
    /// object or a permission problem, <see cref="TransientSourceException"/> for what is worth retrying.
    /// </summary>
    Task<SourceInfo> ProbeAsync(CancellationToken ct);

    /// <summary>
    /// Opens <paramref name="length"/> bytes from <paramref name="offset"/> of the object <paramref name="probed"/>
    /// describes; a read of an object that has changed since is refused. The stream may end early when the
    /// connection drops; callers check the count they read.
    /// </summary>
    Task<Stream> OpenRangeAsync(SourceInfo probed, long offset, long length, CancellationToken ct);

    /// <summary>
    /// One conditional check for a refresh: true when the object still has <paramref name="publishedVersion"/> (the
    /// version a probe gave when it was published). The S3 and HTTP sources ask the server (<c>If-None-Match</c>,
    /// answered 304, or the versionId); by default, for the file source, a probe compares size and mtime.
    /// Throws like <see cref="ProbeAsync"/>.
    /// </summary>
    async Task<bool> IsUnchangedAsync(string publishedVersion, CancellationToken ct) =>
        (await ProbeAsync(ct).ConfigureAwait(false)).VersionId == publishedVersion;
}
