namespace ExtensionCache.Contract;

/// <summary>
/// Every name under the cache root, made and parsed here and nowhere else. The extension (which writes the root)
/// and the function client (which reads the published link, the manifest and the status files) both compile it:
/// <code>
/// &lt;root&gt;/&lt;name&gt;                                   symlink to .store/&lt;name&gt;/&lt;version&gt;: the published bundle
/// &lt;root&gt;/&lt;name&gt;/.extension-cache-manifest.json    what was published (BundleManifest)
/// &lt;root&gt;/&lt;name&gt;/.extension-cache-entries          a zip version's entry index (delta updates)
/// &lt;root&gt;/.status/&lt;name&gt;.json                      readiness, written after each INIT and refresh check (BundleStatus)
/// &lt;root&gt;/.store/&lt;name&gt;/&lt;version&gt;                complete versions of one bundle
/// &lt;root&gt;/.staging/&lt;name&gt;/&lt;attempt&gt;             versions being unpacked; never read
/// &lt;root&gt;/.resume/&lt;name&gt;                           a stopped attempt's files, kept for the next attempt
/// &lt;root&gt;/.link-&lt;name&gt;-&lt;suffix&gt;                    a link about to be renamed over &lt;root&gt;/&lt;name&gt;
/// </code>
/// Bundle names never start with '.' (<see cref="BundleNameRule"/>), so no bundle can take the place of the rest,
/// and every folder that belongs to one bundle is named after it alone, so nothing is parsed out of a longer name.
/// </summary>
internal sealed class CacheLayout(string root)
{
    public const string StagingFolderName = ".staging";
    public const string StoreFolderName = ".store";
    public const string StatusFolderName = ".status";
    public const string ResumeFolderName = ".resume";
    public const string ManifestFileName = ".extension-cache-manifest.json";
    public const string EntryIndexFileName = ".extension-cache-entries";
    public const string StatusFileExtension = ".json";

    /// <summary>Ends the name of a status file being written; it is renamed to its final name when whole.</summary>
    public const string TempFileExtension = ".tmp";

    public const string LinkTempPrefix = ".link-";

    /// <summary>How many hex digits of a version's content hash name its store folder.</summary>
    private const int VersionHexDigits = 16;

    public string Root => root;

    public string StagingFolder => Path.Join(root, StagingFolderName);

    public string StoreFolder => Path.Join(root, StoreFolderName);

    public string StatusFolder => Path.Join(root, StatusFolderName);

    public string ResumeFolder => Path.Join(root, ResumeFolderName);

    /// <summary>The published path of a bundle: the link <c>&lt;root&gt;/&lt;name&gt;</c>.</summary>
    public string BundlePath(string name) => Path.Join(root, name);

    public string ManifestPath(string name) => Path.Join(root, name, ManifestFileName);

    public string StatusPath(string name) => Path.Join(root, StatusFolderName, name + StatusFileExtension);

    /// <summary>A status file being written: renamed over <see cref="StatusPath"/> when whole.</summary>
    public string StatusTempPath(string name, string suffix) => $"{StatusPath(name)}.{suffix}{TempFileExtension}";

    /// <summary>The folder holding every stored version of one bundle.</summary>
    public string VersionsOf(string name) => Path.Join(root, StoreFolderName, name);

    public string VersionPath(string name, string version) => Path.Join(root, StoreFolderName, name, version);

    /// <summary>The folder holding the attempts of one bundle being unpacked.</summary>
    public string AttemptsOf(string name) => Path.Join(root, StagingFolderName, name);

    public string AttemptPath(string name, string attempt) => Path.Join(root, StagingFolderName, name, attempt);

    public string ResumePath(string name) => Path.Join(root, ResumeFolderName, name);

    public string TempLinkPath(string name, string suffix) => Path.Join(root, $"{LinkTempPrefix}{name}-{suffix}");

    /// <summary>What the link <c>&lt;root&gt;/&lt;name&gt;</c> holds: a path relative to the root, so the root can move.</summary>
    public static string LinkTarget(string name, string version) => Path.Join(StoreFolderName, name, version);

    /// <summary>The version a link target written by <see cref="LinkTarget"/> names, or null for any other target.</summary>
    public static string? VersionOfLinkTarget(string name, string? target)
    {
        var prefix = Path.Join(StoreFolderName, name) + "/";
        if (target is null || !target.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var version = target[prefix.Length..].TrimEnd('/');
        return version.Length > 0 && !version.Contains('/', StringComparison.Ordinal) ? version : null;
    }

    /// <summary>
    /// A store folder name for content whose hash is <paramref name="contentHash"/> (an archive's SHA-256 in hex,
    /// or a delta's <c>entries-&lt;hex&gt;</c>): its first hex digits, and <c>-&lt;n&gt;</c> from the second copy on.
    /// </summary>
    public static string VersionName(string contentHash, int copy)
    {
        var hex = contentHash[(contentHash.LastIndexOf('-') + 1)..];
        var name = hex[..Math.Min(VersionHexDigits, hex.Length)];
        return copy <= 1 ? name : $"{name}-{copy}";
    }

    public static bool IsTempLink(string fileName) => fileName.StartsWith(LinkTempPrefix, StringComparison.Ordinal);

    public static bool IsStatusTemp(string fileName) => fileName.EndsWith(TempFileExtension, StringComparison.Ordinal);
}
