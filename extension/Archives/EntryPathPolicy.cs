using System.Text;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Which entry names and symlink targets a bundle may contain. Every refusal is a
/// <see cref="BundleException"/> of type <c>Extension.BundleUnsafe</c> naming the entry and the rule.
/// </summary>
public static class EntryPathPolicy
{
    /// <summary>
    /// The files the extension writes into every published version (<see cref="CacheLayout"/>): an archive may not
    /// supply its own.
    /// </summary>
    private static readonly string[] ReservedNames = [CacheLayout.ManifestFileName, CacheLayout.EntryIndexFileName];

    /// <summary>
    /// Why a name that is not UTF-8 is refused, in zip and tar alike: it could only be unpacked renamed (the
    /// extension's paths are UTF-8), and a renamed file is a wrong file.
    /// </summary>
    public const string NotUtf8Rule =
        "the name is not valid UTF-8, so it cannot be unpacked under its own name (rename the file, or pack it from a UTF-8 locale)";

    private const int MaxSegmentBytes = 255;
    private const int MaxPathBytes = 4000;

    /// <summary>
    /// Returns the entry's path relative to the bundle root, segments joined by '/', with '.' and empty
    /// segments removed. Returns an empty string for a name that denotes the root itself ("./" in tar files);
    /// the caller decides whether that is allowed.
    /// </summary>
    public static string Normalize(string name)
    {
        if (name.Length == 0)
        {
            throw Refuse(name, "an empty name is not allowed");
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw Refuse(name, "a NUL character in a name is not allowed");
        }

        if (name.Contains('\\', StringComparison.Ordinal))
        {
            throw Refuse(name, "a backslash in a name is not allowed (names use '/')");
        }

        if (name[0] == '/')
        {
            throw Refuse(name, "an absolute path is not allowed");
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxPathBytes)
        {
            throw Refuse(name, $"a name longer than {MaxPathBytes} bytes is not allowed");
        }

        // Segments are checked in place; a new string is made only when a '.' or empty segment must go (the
        // common, already-normal name is returned as it is, a folder's name without its trailing '/', so a bundle of
        // tens of thousands of names allocates almost nothing).
        var normal = true;
        var rest = name.AsSpan();
        while (true)
        {
            var slash = rest.IndexOf('/');
            var last = slash < 0;
            var segment = last ? rest : rest[..slash];

            // An empty last segment is a folder's trailing '/', dropped below without rebuilding the name.
            if ((segment.Length == 0 && !last) || segment is ".")
            {
                normal = false;
            }
            else if (segment is "..")
            {
                throw Refuse(name, "a '..' segment is not allowed (it would leave the bundle)");
            }
            else if (segment.Length > MaxSegmentBytes / 3 && Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                throw Refuse(name, $"a path segment longer than {MaxSegmentBytes} bytes is not allowed");
            }

            if (last)
            {
                break;
            }

            rest = rest[(slash + 1)..];
        }

        var path = !normal ? string.Join('/', name.Split('/').Where(segment => segment.Length != 0 && segment != "."))
            : name[^1] == '/' ? name[..^1]
            : name;
        if (ReservedNames.Contains(path, StringComparer.Ordinal))
        {
            throw Refuse(name, $"the name {path} is reserved for the extension's own files (its manifest and entry index)");
        }

        return path;
    }

    /// <summary>
    /// Checks a symlink target: relative, and made of leading '..' segments that stay inside the bundle followed
    /// by plain names. A '..' after a name is refused because it would be resolved physically, after any link it
    /// passes through, and could then leave the bundle.
    /// </summary>
    public static void CheckLinkTarget(string entry, string linkPath, string target)
    {
        if (target.Length == 0)
        {
            throw Refuse(entry, "a symlink with an empty target is not allowed");
        }

        if (target.Contains('\0', StringComparison.Ordinal) || target.Contains('\\', StringComparison.Ordinal))
        {
            throw Refuse(entry, $"symlink target '{Display(target)}' contains a NUL or a backslash");
        }

        if (target[0] == '/')
        {
            throw Refuse(entry, $"symlink target '{Display(target)}' is absolute and leaves the bundle");
        }

        var depth = linkPath.Split('/').Length - 1;
        var ups = 0;
        var seenName = false;
        foreach (var segment in target.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (seenName)
                {
                    throw Refuse(entry, $"symlink target '{Display(target)}' uses '..' after a name; only leading '..' segments are allowed");
                }

                if (++ups > depth)
                {
                    throw Refuse(entry, $"symlink target '{Display(target)}' leaves the bundle");
                }
            }
            else
            {
                seenName = true;
            }
        }
    }

    /// <summary>A name as it can be shown in a message: control characters escaped.</summary>
    public static string Display(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.Length > 300 ? name[..300] + "…" : name)
        {
            if (char.IsControl(c))
            {
                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public static BundleException Refuse(string entry, string rule) =>
        new(FailureKind.BundleUnsafe, $"entry '{Display(entry)}' refused: {rule}");
}
