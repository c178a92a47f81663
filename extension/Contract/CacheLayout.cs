namespace ExtensionCache.Contract;

/// <summary>
/// The cache root's layout, the one definition the extension (which writes it) and the function client (which
/// reads it) both compile:
/// <code>
/// &lt;root&gt;/&lt;name&gt;                                  symlink to .store/&lt;version&gt;: the published bundle
/// &lt;root&gt;/&lt;name&gt;/.extension-cache-manifest.json   what was published (BundleManifest)
/// &lt;root&gt;/.status/&lt;name&gt;.json                     readiness, written once per INIT (BundleStatus)
/// &lt;root&gt;/.store/&lt;version&gt;                        complete versions
/// &lt;root&gt;/.staging/&lt;name&gt;-&lt;suffix&gt;                 versions being unpacked; never read
/// &lt;root&gt;/.link-&lt;name&gt;-&lt;suffix&gt;                   a link about to be renamed over &lt;root&gt;/&lt;name&gt;
/// </code>
/// Bundle names never start with '.' (<see cref="BundleNameRule"/>), so no bundle can take the place of the rest.
/// </summary>
internal sealed class CacheLayout(string root)
{
    public const string StagingFolderName = ".staging";
    public const string StoreFolderName = ".store";
    public const string StatusFolderName = ".status";
    public const string ManifestFileName = ".extension-cache-manifest.json";
    public const string StatusFileExtension = ".json";

    /// <summary>Ends the name of a status file being written; it is renamed to its final name when whole.</summary>
    public const string TempFileExtension = ".tmp";

    public const string LinkTempPrefix = ".link-";

    public string Root => root;

    public string StagingFolder => Path.Join(root, StagingFolderName);

    public string StoreFolder => Path.Join(root, StoreFolderName);

    public string StatusFolder => Path.Join(root, StatusFolderName);

    /// <summary>The published path of a bundle: the link <c>&lt;root&gt;/&lt;name&gt;</c>.</summary>
    public string BundlePath(string name) => Path.Join(root, name);

    public string ManifestPath(string name) => Path.Join(root, name, ManifestFileName);

    public string StatusPath(string name) => Path.Join(root, StatusFolderName, name + StatusFileExtension);

    /// <summary>What the link <c>&lt;root&gt;/&lt;name&gt;</c> holds: a path relative to the root, so the root can move.</summary>
    public static string StoreLinkTarget(string version) => Path.Join(StoreFolderName, version);
}
