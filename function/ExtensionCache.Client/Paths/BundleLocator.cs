namespace ExtensionCache.Client.Paths;

/// <summary>The paths of the published layout under one cache root (see the README's contract).</summary>
public sealed class BundleLocator
{
    /// <summary>The manifest's file name inside a published bundle folder.</summary>
    public const string ManifestFileName = ".extension-cache-manifest.json";

    /// <summary>The folder, under the root, that holds one readiness file per bundle.</summary>
    public const string StatusFolderName = ".status";

    /// <summary>Creates a locator for an explicit root folder.</summary>
    public BundleLocator(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = root;
    }

    /// <summary>The cache root folder.</summary>
    public string Root { get; }

    /// <summary>A locator for the root the extension uses in this process's environment.</summary>
    public static BundleLocator FromEnvironment() => new(CacheRoot.Resolve());

    /// <summary>The published path of a bundle: <c>&lt;root&gt;/&lt;name&gt;</c>.</summary>
    public string GetBundlePath(string name) => Path.Combine(Root, ValidName(name));

    /// <summary>The manifest of a bundle: <c>&lt;root&gt;/&lt;name&gt;/.extension-cache-manifest.json</c>.</summary>
    public string GetManifestPath(string name) => Path.Combine(GetBundlePath(name), ManifestFileName);

    /// <summary>The status folder: <c>&lt;root&gt;/.status</c>.</summary>
    public string StatusFolder => Path.Combine(Root, StatusFolderName);

    /// <summary>The readiness file of a bundle: <c>&lt;root&gt;/.status/&lt;name&gt;.json</c>.</summary>
    public string GetStatusPath(string name) => Path.Combine(StatusFolder, ValidName(name) + ".json");

    // Same alphabet as the extension accepts, so a typo fails here with the name rather than as "not found".
    private static string ValidName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name is "." or ".." || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException(
                $"Bundle name '{name}' is not valid: use letters, digits, '-', '_' and '.'.", nameof(name));
        }

        return name;
    }
}
