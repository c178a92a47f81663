using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;

namespace ExtensionCache.Extension.Bundles;

/// <summary>
/// The one place a bundle's status file (<see cref="BundleStatus"/>) is made: ready after a publish or a reuse, checked
/// after a refresh check that found the source unchanged, failed when nothing is published, stale when a refresh
/// failed while a version keeps serving.
/// </summary>
public sealed class StatusFiles(Publisher publisher, TimeProvider time)
{
    /// <summary>A version was published or reused; <paramref name="checkedAt"/> is when the source was last asked.</summary>
    public void Ready(string name, BundleManifest manifest, bool reused, DateTimeOffset? checkedAt) =>
        publisher.WriteStatus(new BundleStatus(
            name, BundleStatus.Ready, publisher.PublishedPath(name), reused, null, null, manifest.Version, manifest.PublishedAt, checkedAt));

    /// <summary>A refresh check found the source unchanged: ready again, checked now, otherwise as before.</summary>
    public void Checked(string name, BundleManifest published) =>
        Ready(name, published, publisher.ReadStatus(name)?.Reused ?? false, time.GetUtcNow());

    /// <summary>Nothing is published for <paramref name="name"/>, because of <paramref name="error"/>.</summary>
    public void Failed(string name, BundleException error, DateTimeOffset? checkedAt = null) =>
        publisher.WriteStatus(new BundleStatus(name, BundleStatus.Failed, null, false, error.ErrorType, error.Message, CheckedAt: checkedAt));

    /// <summary>
    /// A refresh check failed: stale while <paramref name="published"/> keeps serving, failed when nothing is
    /// published (a bundle that failed at INIT and is retried by refresh).
    /// </summary>
    public void RefreshFailed(string name, BundleManifest? published, BundleException error)
    {
        if (published is null)
        {
            Failed(name, error, time.GetUtcNow());
            return;
        }

        publisher.WriteStatus(new BundleStatus(
            name,
            BundleStatus.Stale,
            publisher.PublishedPath(name),
            publisher.ReadStatus(name)?.Reused ?? false,
            error.ErrorType,
            error.Message,
            published.Version,
            published.PublishedAt,
            time.GetUtcNow()));
    }
}
