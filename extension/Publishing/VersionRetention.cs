using System.Text.RegularExpressions;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// Which store versions of a bundle may go while the environment lives. After a swap the replaced version stays
/// (a reader that resolved the old link a moment before may still be opening files in it). Before the next
/// download, every version but the published one is removed unless a process still uses it (an open file, a
/// working directory or a mapped file under it, see <see cref="ProcessFileUsage"/>); one still in use is tried again
/// at the next refresh. So /tmp holds at most the published version and the one being fetched, plus any old
/// version a process is still holding.
/// </summary>
public sealed class VersionRetention(string storeFolder, Func<string, bool> isInUse)
{
    /// <summary>The store folders of <paramref name="name"/> other than <paramref name="current"/> that no process uses.</summary>
    public IReadOnlyList<string> Removable(string name, string? current)
    {
        if (!Directory.Exists(storeFolder))
        {
            return [];
        }

        var pattern = new Regex($"^{Regex.Escape(name)}-[0-9a-f]{{16}}(-[0-9]+)?$", RegexOptions.CultureInvariant);
        return [.. new DirectoryInfo(storeFolder).EnumerateFileSystemInfos()
            .Where(v => pattern.IsMatch(v.Name) && v.Name != current)
            .Select(v => v.FullName)
            .Where(path => !isInUse(path))];
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
