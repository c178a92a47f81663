namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// What the extension's cache root holds for one bundle at one moment: the root's footprint (bytes of regular files and
/// the number of entries, links counted, never followed), the bundle's attempts being unpacked
/// (<c>.staging/&lt;bundle&gt;/*</c>), its stored versions (<c>.store/&lt;bundle&gt;/*</c>), whether files are kept for
/// its next attempt (<c>.resume/&lt;bundle&gt;</c>), and which version its published link points at. The layout is the
/// one docs/how-it-works.md describes.
/// </summary>
public sealed record CacheRootSnapshot(
    string Root, string Bundle, long Bytes, int Entries, IReadOnlyList<string> Staging, IReadOnlyList<string> StoreVersions, bool Resume, string? PublishedVersion)
{
    public const string StagingFolder = ".staging";
    public const string StoreFolder = ".store";
    public const string ResumeFolder = ".resume";

    /// <summary>Reads <paramref name="root"/> (missing folders count as empty) and the link <c>&lt;root&gt;/&lt;bundle&gt;</c>.</summary>
    public static CacheRootSnapshot Take(string root, string bundle)
    {
        var (bytes, entries) = Footprint(root);
        var target = new FileInfo(Path.Join(root, bundle)).LinkTarget;
        return new CacheRootSnapshot(
            root,
            bundle,
            bytes,
            entries,
            Names(Path.Join(root, StagingFolder, bundle)),
            Names(Path.Join(root, StoreFolder, bundle)),
            Directory.Exists(ResumePath(root, bundle)),
            target is null ? null : Path.GetFileName(target.TrimEnd('/')));
    }

    /// <summary>The folder of a stored version of <see cref="Bundle"/>.</summary>
    public string VersionPath(string version) => Path.Join(Root, StoreFolder, Bundle, version);

    /// <summary>The folder of an attempt of <see cref="Bundle"/> being unpacked.</summary>
    public string AttemptPath(string attempt) => Path.Join(Root, StagingFolder, Bundle, attempt);

    /// <summary>The folder of files kept for the next attempt of <paramref name="bundle"/>.</summary>
    public static string ResumePath(string root, string bundle) => Path.Join(root, ResumeFolder, bundle);

    /// <summary>Bytes of regular files and number of entries under <paramref name="folder"/>, without following links.</summary>
    public static (long Bytes, int Entries) Footprint(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return (0, 0);
        }

        long bytes = 0;
        var entries = 0;
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(folder)]);
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in directory.EnumerateFileSystemInfos())
            {
                entries++;
                if (entry.LinkTarget is not null)
                {
                    continue;
                }

                if (entry is DirectoryInfo child)
                {
                    pending.Push(child);
                }
                else if (entry is FileInfo file)
                {
                    bytes += file.Length;
                }
            }
        }

        return (bytes, entries);
    }

    private static IReadOnlyList<string> Names(string folder) =>
        Directory.Exists(folder) ? [.. Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!] : [];
}
