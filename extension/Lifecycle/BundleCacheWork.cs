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

    public BundleCacheWork(CacheOptions options, LifecycleLog log, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        sources = new BundleSourceFactory(environment);
        var sinceStart = TimeSpan.FromMilliseconds(StartupClock.MillisecondsSinceProcessStart() ?? 0);
        cache = new BundleCache(options.Root, options.Limits, log, sources, TimeProvider.System, FetchDeadline.ForInit(environment, TimeProvider.System, sinceStart));
    }

    public void PrepareRoot(IReadOnlyList<BundleSpec> bundles) => cache.PrepareRoot(bundles);

    public async Task<BundleFailure?> PrepareAsync(BundleSpec bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        try
        {
            await cache.PrepareAsync(bundle, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (BundleException e)
        {
            return new BundleFailure(bundle.Name, e.Kind, e.Reason);
        }
    }

    public void Dispose() => sources.Dispose();
}
