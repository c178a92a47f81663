namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// Which stored versions of a bundle may go while the environment lives. After a swap the replaced version stays
/// (a reader that resolved the old link a moment before may still be opening files in it). At the start of every
/// refresh check, every version of the bundle but the published one is removed unless a process still uses it (an
/// open file, a working directory or a mapped file under it, see <see cref="ProcessFileUsage"/>); one still in use
/// is tried again at the next check. Every version a refresh publishes, full or delta, lives in the bundle's own
/// store folder (<see cref="CacheLayout.VersionsOf"/>), so each is seen. /tmp therefore holds at most the published
/// version and the one it replaced, plus the one being fetched during a download, plus any a process still holds.
/// </summary>
public sealed class VersionRetention
{
    private readonly CacheLayout _layout;
    private readonly Func<string, bool> _isInUse;

    /// <summary>A policy for the cache root <paramref name="root"/>, with <paramref name="isInUse"/> telling which folders a process uses.</summary>
    public VersionRetention(string root, Func<string, bool> isInUse)
    {
        _layout = new CacheLayout(root);
        _isInUse = isInUse;
    }

    /// <summary>The stored versions of <paramref name="name"/> other than <paramref name="current"/> that no process uses.</summary>
    public IReadOnlyList<string> Removable(string name, string? current)
    {
        var versions = new DirectoryInfo(_layout.VersionsOf(name));
        if (!versions.Exists)
        {
            return [];
        }

        return [.. versions.EnumerateFileSystemInfos()
            .Where(v => v.Name != current)
            .Select(v => v.FullName)
            .Where(path => !_isInUse(path))];
    }

    /// <summary>Removes what <see cref="Removable"/> lists; returns the removed paths.</summary>
    public IReadOnlyList<string> RemoveUnused(string name, string? current)
    {
        var removable = Removable(name, current);
        foreach (var path in removable)
        {
            Publisher.DeleteTree(path);
        }

        return removable;
    }
}
