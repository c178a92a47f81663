using ExtensionCache.Contract;

namespace ExtensionCache.Client.Paths;

/// <summary>
/// Where the extension publishes bundles, by the extension's own rule: <c>EXTENSION_CACHE_ROOT</c> (an absolute
/// path, not a file system root), else <c>$TMPDIR/extension-cache</c> when <c>TMPDIR</c> is an absolute path,
/// else <c>/tmp/extension-cache</c>. Values are trimmed; a blank value counts as unset.
/// </summary>
public static class CacheRoot
{
    /// <summary>Overrides the root folder.</summary>
    public const string RootVariable = CacheRootRule.RootVariable;

    /// <summary>Read when <see cref="RootVariable"/> is not set.</summary>
    public const string TempVariable = CacheRootRule.TempVariable;

    /// <summary>The folder name under the temp folder.</summary>
    public const string FolderName = CacheRootRule.FolderName;

    /// <summary>Resolves the root from the process environment.</summary>
    /// <exception cref="InvalidOperationException"><c>EXTENSION_CACHE_ROOT</c> is a value the extension refuses.</exception>
    public static string Resolve() => Resolve(Environment.GetEnvironmentVariable);

    /// <summary>Resolves the root from a lookup, so callers can pass a function's own environment.</summary>
    /// <exception cref="InvalidOperationException"><c>EXTENSION_CACHE_ROOT</c> is a value the extension refuses.</exception>
    public static string Resolve(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var errors = new List<string>();
        var root = CacheRootRule.Resolve(getVariable(RootVariable), getVariable(TempVariable), errors);
        return errors.Count == 0
            ? root
            : throw new InvalidOperationException(errors[0]);
    }
}
