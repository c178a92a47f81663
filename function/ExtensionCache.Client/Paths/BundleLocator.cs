using ExtensionCache.Contract;

namespace ExtensionCache.Client.Paths;

/// <summary>The paths of the published layout under one cache root (see the README's contract).</summary>
public sealed class BundleLocator
{
    /// <summary>The manifest's file name inside a published bundle folder.</summary>
    public const string ManifestFileName = CacheLayout.ManifestFileName;

    /// <summary>The folder, under the root, that holds one readiness file per bundle.</summary>
    public const string StatusFolderName = CacheLayout.StatusFolderName;

    private readonly CacheLayout layout;

    /// <summary>Creates a locator for an explicit root folder.</summary>
    public BundleLocator(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        layout = new CacheLayout(root);
    }

    /// <summary>The cache root folder.</summary>
    public string Root => layout.Root;

    /// <summary>A locator for the root the extension uses in this process's environment.</summary>
    /// <exception cref="InvalidOperationException"><c>EXTENSION_CACHE_ROOT</c> is a value the extension refuses.</exception>
    public static BundleLocator FromEnvironment() => new(CacheRoot.Resolve());

    /// <summary>The published path of a bundle: <c>&lt;root&gt;/&lt;name&gt;</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is a name the extension refuses.</exception>
    public string GetBundlePath(string name) => layout.BundlePath(ValidName(name));

    /// <summary>The manifest of a bundle: <c>&lt;root&gt;/&lt;name&gt;/.extension-cache-manifest.json</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is a name the extension refuses.</exception>
    public string GetManifestPath(string name) => layout.ManifestPath(ValidName(name));

    /// <summary>The status folder: <c>&lt;root&gt;/.status</c>.</summary>
    public string StatusFolder => layout.StatusFolder;

    /// <summary>The readiness file of a bundle: <c>&lt;root&gt;/.status/&lt;name&gt;.json</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is a name the extension refuses.</exception>
    public string GetStatusPath(string name) => layout.StatusPath(ValidName(name));

    // The extension's rule, so a typo fails here with the name rather than later as "not found".
    private static string ValidName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return BundleNameRule.Problem(name) is { } problem
            ? throw new ArgumentException($"Bundle '{name}': {problem}", nameof(name))
            : name;
    }
}
