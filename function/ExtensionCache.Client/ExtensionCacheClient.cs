using System.Text.Json;
using ExtensionCache.Client.Paths;
using ExtensionCache.Client.Readiness;
using ExtensionCache.Contract;

namespace ExtensionCache.Client;

/// <summary>
/// What a function needs from the extension-cache layer: where a bundle is, what its manifest says, and
/// (in <c>EXTENSION_CACHE_MODE=overlap</c>) waiting until it is ready.
/// </summary>
public sealed class ExtensionCacheClient
{
    private readonly BundleReadinessWaiter waiter;

    /// <summary>Creates a client for a locator (see <see cref="FromEnvironment"/>).</summary>
    public ExtensionCacheClient(BundleLocator locator, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(locator);
        Locator = locator;
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

    /// <summary>Reads a bundle's readiness file; null when the extension has not written it (yet).</summary>
    public BundleStatus? ReadStatus(string name) => BundleReadinessWaiter.TryReadStatus(Locator.GetStatusPath(name));

    /// <inheritdoc cref="BundleReadinessWaiter.WaitForBundleAsync"/>
    public Task<string> WaitForBundleAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        waiter.WaitForBundleAsync(name, timeout, cancellationToken);
}
