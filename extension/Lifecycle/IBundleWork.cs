using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Extension.Lifecycle;

/// <summary>
/// The bundle engine as the lifecycle sees it, so the lifecycle decides only when work happens, never how.
/// The host disposes it once every bundle is prepared, to let go of connections, clients and pooled buffers.
/// </summary>
public interface IBundleWork : IDisposable
{
    /// <summary>Once, before register: clean stale staging and old status files.</summary>
    void PrepareRoot(IReadOnlyList<BundleSpec> bundles);

    /// <summary>Fetch, unpack, verify and publish one bundle (or reuse it); a failure is returned, not thrown.</summary>
    Task<BundleFailure?> PrepareAsync(BundleSpec bundle, CancellationToken cancellationToken);

    /// <summary>One refresh check of a bundle (see <see cref="BundleCache.RefreshAsync"/>); false when it failed.</summary>
    Task<bool> RefreshAsync(BundleSpec bundle, CancellationToken cancellationToken);

    /// <summary>
    /// Drops every pooled connection and cached credential, so the next request opens a new connection and fetches
    /// credentials again: before a SnapStart snapshot and at the first invoke after a restore (or after a provisioned
    /// environment's INIT, which may be hours old).
    /// </summary>
    void DropConnections();

    /// <summary>The fetches running now and how far each has got.</summary>
    IReadOnlyList<FetchProgress> Running { get; }
}
