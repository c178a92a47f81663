namespace ExtensionCache.Contract;

/// <summary>
/// Where the cache root is: <c>EXTENSION_CACHE_ROOT</c> when set (an absolute path, not a file system root),
/// else <c>$TMPDIR/extension-cache</c> when <c>TMPDIR</c> is an absolute path, else <c>/tmp/extension-cache</c>.
/// Values are trimmed and a blank value counts as unset. The extension publishes there and the client looks there.
/// </summary>
internal static class CacheRootRule
{
    public const string RootVariable = "EXTENSION_CACHE_ROOT";
    public const string TempVariable = "TMPDIR";
    public const string DefaultTempDirectory = "/tmp";
    public const string FolderName = "extension-cache";

    /// <summary>
    /// The root for the two variables' values as read from the environment. A bad <c>EXTENSION_CACHE_ROOT</c> adds
    /// a problem naming the variable, its value and what was expected to <paramref name="errors"/>.
    /// </summary>
    public static string Resolve(string? rootValue, string? tempValue, List<string> errors)
    {
        var configured = Trimmed(rootValue);
        var fallback = DefaultRoot(Trimmed(tempValue));
        if (configured is null)
        {
            return fallback;
        }

        if (!Path.IsPathFullyQualified(configured))
        {
            errors.Add($"{RootVariable}='{configured}' is not an absolute path; expected for example {DefaultTempDirectory}/{FolderName}");
            return fallback;
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(configured));
        if (full == Path.GetPathRoot(full) || full.Length <= 1)
        {
            errors.Add($"{RootVariable}='{configured}' is a file system root; expected a folder the extension owns, for example {DefaultTempDirectory}/{FolderName}");
        }

        return full;
    }

    // A relative TMPDIR would put the root wherever the process happens to start, so it counts as unset.
    private static string DefaultRoot(string? tempDirectory) =>
        tempDirectory is not null && Path.IsPathFullyQualified(tempDirectory)
            ? Path.Combine(tempDirectory, FolderName)
            : Path.Combine(DefaultTempDirectory, FolderName);

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
