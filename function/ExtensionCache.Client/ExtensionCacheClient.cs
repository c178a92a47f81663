using System.Text.Json;
using ExtensionCache.Client.Paths;
using ExtensionCache.Client.Readiness;
using ExtensionCache.Client.Versions;
using ExtensionCache.Contract;

namespace ExtensionCache.Client;

/// <summary>
/// What a function needs from the extension-cache layer: where a bundle is, what its manifest says, and
/// (in <c>EXTENSION_CACHE_MODE=overlap</c>) waiting until it is ready.
/// </summary>
public sealed class ExtensionCacheClient
{
    private readonly BundleReadinessWaiter waiter;
    private readonly TimeProvider time;

    /// <summary>Creates a client for a locator (see <see cref="FromEnvironment"/>).</summary>
    public ExtensionCacheClient(BundleLocator locator, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(locator);
        Locator = locator;
        time = timeProvider ?? TimeProvider.System;
        waiter = new BundleReadinessWaiter(locator, timeProvider);
    }

    /// <summary>The paths of the published layout.</summary>
    public BundleLocator Locator { get; }

    /// <summary>A client for the root the extension uses in this process's environment.</summary>
    /// <exception cref="InvalidOperationException"><c>EXTENSION_CACHE_ROOT</c> is a value the extension refuses.</exception>
    public static ExtensionCacheClient FromEnvironment() => new(BundleLocator.FromEnvironment());

    /// <summary>The published path of a bundle (it may not exist yet).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is a name the extension refuses.</exception>
    public string GetBundlePath(string name) => Locator.GetBundlePath(name);

    /// <summary>Reads a published bundle's manifest.</summary>
    /// <exception cref="FileNotFoundException">The bundle is not published.</exception>
    public BundleManifest ReadManifest(string name)
    {
        var path = Locator.GetManifestPath(name);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), ContractJsonContext.Default.BundleManifest)
                ?? throw new InvalidDataException($"Manifest of bundle '{name}' at {path} is empty.");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException(
                $"Bundle '{name}' is not published: {path} does not exist. Is it listed in EXTENSION_CACHE_BUNDLES?",
                path,
                e);
        }
    }

    /// <summary>
    /// The version <c>&lt;root&gt;/&lt;name&gt;</c> points at now, with its own folder, or null when nothing is published.
    /// Read files from <see cref="BundleVersion.Path"/> to get one complete version even across a refresh.
    /// </summary>
    public BundleVersion? GetVersion(string name)
    {
        var link = new DirectoryInfo(Locator.GetBundlePath(name));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                // Resolve the link once, then read the manifest inside the folder it named: a swap in between
                // cannot mix two versions.
                if (link.ResolveLinkTarget(returnFinalTarget: true) is not { } target)
                {
                    return null;
                }

                var folder = target.FullName;
                var manifest = JsonSerializer.Deserialize(
                    File.ReadAllBytes(Path.Join(folder, CacheLayout.ManifestFileName)), ContractJsonContext.Default.BundleManifest);
                return manifest is null ? null : new BundleVersion(name, folder, manifest.Version, manifest.Sha256, manifest.PublishedAt);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // The version was removed between the readlink and the read: read the link again.
            }
        }

        return null;
    }

    /// <summary>True when the published version differs from <paramref name="known"/> (or one appeared or went).</summary>
    public bool HasChanged(string name, BundleVersion? known) => GetVersion(name)?.Token != known?.Token;

    /// <summary>
    /// Calls <paramref name="onChange"/> (on a timer thread) each time a refresh publishes a new version of the
    /// bundle, checking every <paramref name="interval"/>; for code that reloads data (a model, a lookup table).
    /// Code a runtime has already loaded (assemblies, modules) is not reloaded by this.
    /// </summary>
    public BundleVersionWatcher WatchVersion(string name, Action<BundleVersion> onChange, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _ = Locator.GetBundlePath(name);
        return new BundleVersionWatcher(() => GetVersion(name), onChange, interval, time);
    }

    /// <summary>Reads a bundle's readiness file; null when the extension has not written it (yet).</summary>
    public BundleStatus? ReadStatus(string name) => BundleReadinessWaiter.TryReadStatus(Locator.GetStatusPath(name));

    /// <inheritdoc cref="BundleReadinessWaiter.WaitForBundleAsync"/>
    public Task<string> WaitForBundleAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        waiter.WaitForBundleAsync(name, timeout, cancellationToken);
}
