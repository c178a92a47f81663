using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Logging;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Lifecycle;

/// <summary>
/// The one place the lifecycle is wired to the bundle engine (<see cref="BundleCache"/>): it turns the engine's
/// <see cref="BundleException"/> into a <see cref="BundleFailure"/> the host reports.
/// </summary>
public sealed class BundleCacheWork : IBundleWork
{
    private readonly BundleSourceFactory sources;
    private readonly BundleCache cache;
    private readonly EmbeddedMetrics metrics;

    /// <param name="clock">The sandbox's running time (the host pauses it while the sandbox may be frozen).</param>
    public BundleCacheWork(CacheOptions options, LifecycleLog log, Func<string, string?> environment, SandboxClock clock, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        sources = new BundleSourceFactory(environment);
        cache = new BundleCache(options.Root, options.Limits, log, sources, time, clock, snapStart: SnapStartSpace.For(options, environment));
        metrics = new EmbeddedMetrics(log, options.Metrics, time);
    }

    public IReadOnlyList<FetchProgress> Running => cache.Running;

    public void PrepareRoot(IReadOnlyList<BundleSpec> bundles) => cache.PrepareRoot(bundles);

    public async Task<BundleFailure?> PrepareAsync(BundleSpec bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        try
        {
            var result = await cache.PrepareAsync(bundle, cancellationToken).ConfigureAwait(false);
            metrics.Emit(new BundleMetricValues(
                bundle.Name, "init", result.DownloadedBytes, result.DownloadMs, result.UnpackMs, result.Files, result.Reused, result.DeltaBytesSaved, 0, 0));
            return null;
        }
        catch (BundleException e)
        {
            return new BundleFailure(bundle.Name, e.Kind, e.Reason);
        }
    }

    public async Task<bool> RefreshAsync(BundleSpec bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var outcome = await cache.RefreshAsync(bundle, cancellationToken).ConfigureAwait(false);
        var published = outcome.Published;
        metrics.Emit(new BundleMetricValues(
            bundle.Name,
            "refresh",
            published?.DownloadedBytes ?? 0,
            published?.DownloadMs ?? 0,
            published?.UnpackMs ?? 0,
            published?.Files ?? 0,
            published is null && !outcome.Failed,
            published?.DeltaBytesSaved ?? 0,
            1,
            outcome.Failed ? 1 : 0));
        if (published is not null)
        {
            // A download's buffers are not needed until the next one; the extension idles small again.
            ProcessMemory.Release();
        }

        return !outcome.Failed;
    }

    public void DropConnections() => sources.Reset();

    public void Dispose() => sources.Dispose();
}
