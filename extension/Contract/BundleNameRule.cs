namespace ExtensionCache.Contract;

/// <summary>
/// Which bundle names are valid: a plain folder name of ASCII letters, digits, '.', '_' and '-', not starting with
/// '.' (so never '.', '..' nor a folder of the <see cref="CacheLayout"/>), at most <see cref="MaxLength"/>
/// characters. The extension refuses any other name in <c>EXTENSION_CACHE_BUNDLES</c>; the client refuses it before
/// it looks at the disk, so a typo fails with the name rather than as "not found".
/// </summary>
internal static class BundleNameRule
{
    public const int MaxLength = 64;

    /// <summary>What is wrong with <paramref name="name"/> and what was expected; null when it is valid.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "the name is empty; expected a folder name of letters, digits, '.', '_' or '-'";
        }

        // A character check, not a regex: '$' in a .NET regex also matches before a trailing newline.
        if (name[0] == '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            return $"the name '{name}' is not a plain folder name; expected letters, digits, '.', '_' or '-', not starting with '.'";
        }

        return name.Length > MaxLength
            ? $"the name is {name.Length} characters long; expected at most {MaxLength}"
            : null;
    }
}
