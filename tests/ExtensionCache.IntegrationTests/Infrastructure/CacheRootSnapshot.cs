namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// What the extension's cache root holds at one moment: its footprint (bytes of regular files and the number of
/// entries, links counted, never followed), the staging folders, the store versions, and where the published link
/// of a bundle points.
/// </summary>
public sealed record CacheRootSnapshot(long Bytes, int Entries, IReadOnlyList<string> Staging, IReadOnlyList<string> StoreVersions, string? PublishedVersion)
{
    public const string StagingFolder = ".staging";
    public const string StoreFolder = ".store";

    /// <summary>Reads <paramref name="root"/> (missing folders count as empty) and the link <c>&lt;root&gt;/&lt;bundle&gt;</c>.</summary>
    public static CacheRootSnapshot Take(string root, string bundle)
    {
        var (bytes, entries) = Footprint(root);
        var link = new FileInfo(Path.Join(root, bundle));
        var target = link.LinkTarget;
        return new CacheRootSnapshot(
            bytes,
            entries,
            Names(Path.Join(root, StagingFolder)),
            Names(Path.Join(root, StoreFolder)),
            target is null ? null : Path.GetFileName(target.TrimEnd('/')));
    }

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
