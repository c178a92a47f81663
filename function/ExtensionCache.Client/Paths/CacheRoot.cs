namespace ExtensionCache.Client.Paths;

/// <summary>
/// Where the extension publishes bundles. The rule must stay identical to the extension's:
/// <c>EXTENSION_CACHE_ROOT</c>, else <c>$TMPDIR/extension-cache</c>, else <c>/tmp/extension-cache</c>.
/// </summary>
public static class CacheRoot
{
    /// <summary>Overrides the root folder.</summary>
    public const string RootVariable = "EXTENSION_CACHE_ROOT";

    /// <summary>Read when <see cref="RootVariable"/> is not set.</summary>
    public const string TempVariable = "TMPDIR";

    /// <summary>The folder name under the temp folder.</summary>
    public const string FolderName = "extension-cache";

    /// <summary>Resolves the root from the process environment.</summary>
    public static string Resolve() => Resolve(Environment.GetEnvironmentVariable);

    /// <summary>Resolves the root from a lookup, so callers can pass a function's own environment.</summary>
    public static string Resolve(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var configured = getVariable(RootVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var temp = getVariable(TempVariable);
        return Path.Combine(string.IsNullOrWhiteSpace(temp) ? "/tmp" : temp, FolderName);
    }
}
