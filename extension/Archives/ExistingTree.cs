using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;
using ExtensionCache.Extension.Publishing;
using Microsoft.Win32.SafeHandles;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// A folder on disk whose files a zip extraction may hard-link instead of downloading: the currently published
/// version (trusted through its <see cref="ZipEntryIndex"/>: name, size, CRC-32, mode, link target, plus the size
/// and mtime the extension left, so a file changed since is not linked) or the staging folder of an attempt that
/// was killed (trusted only after its size and CRC-32 are checked against the central directory, since its last
/// file may be partial). A path is reused only when every folder on the way is a real directory in this tree and
/// the file itself is a regular file, so a link can never reach outside the tree or through a symlink. Lookups may
/// run on several threads at once. Lookups and links are made relative to a handle on the tree's folder, held until
/// the tree is disposed (the fetch that was given it disposes it).
/// </summary>
public sealed class ExistingTree : IDisposable
{
    private readonly Dictionary<string, ZipIndexedEntry>? _index;
    private readonly ConcurrentDictionary<string, bool> _safeDirectories = new(StringComparer.Ordinal);
    private readonly SafeFileHandle? _folder;

    private ExistingTree(string root, Dictionary<string, ZipIndexedEntry>? index)
    {
        Root = root;
        _index = index;
        _folder = PosixFileSystem.OpenFolder(root);
    }

    public string Root { get; }

    /// <summary>True for a published version (its index is trusted), false for a killed attempt's staging.</summary>
    public bool IsPublished => _index is not null;

    /// <summary>
    /// A file linked from a killed attempt gets its mode and mtime set as a written file does; one from a published
    /// version shares its inode as it is (mode and content already match).
    /// </summary>
    public bool RestampsLinkedFiles => !IsPublished;

    /// <summary>The published version at <paramref name="root"/>, or null when it has no readable entry index.</summary>
    public static ExistingTree? Published(string root) =>
        ZipEntryIndex.TryRead(Path.Join(root, CacheLayout.EntryIndexFileName)) is { } index ? new ExistingTree(root, index) : null;

    /// <summary>A killed attempt's staging folder: every file is verified by size and CRC-32 before it is reused.</summary>
    public static ExistingTree Partial(string root) => new(root, null);

    /// <summary>
    /// The mtime in ticks (which a hard link shares) of the file at <paramref name="path"/> in this tree when it holds
    /// exactly <paramref name="entry"/>'s content, or null.
    /// </summary>
    public long? FindFile(ZipEntryRecord entry, string path)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_index is not null
            && (!_index.TryGetValue(entry.Name, out var known)
                || known.Size != entry.UncompressedSize
                || known.Crc32 != entry.Crc32
                || known.Mode != (entry.UnixMode ?? -1)
                || known.LinkTarget.Length != 0))
        {
            return null;
        }

        if (_folder is null || !ParentsAreDirectories(path))
        {
            return null;
        }

        // One statx, never following a symlink: a symlink is not a regular file, so no readlink is needed to refuse it.
        if (PosixFileSystem.Lstat(_folder, path, out var size, out var ticks) != NodeKind.File || size != entry.UncompressedSize)
        {
            return null;
        }

        if (_index is not null)
        {
            // Size and mtime as the extension left them: a file written since (by function code) is fetched again.
            return ticks == _index[entry.Name].FileMtimeTicks ? ticks : null;
        }

        return Crc32Of(Path.Join(Root, path)) == entry.Crc32 ? ticks : null;
    }

    /// <summary>Hard-links <paramref name="newPath"/> under <paramref name="folder"/> to the file <see cref="FindFile"/> found at <paramref name="path"/>.</summary>
    public void LinkFile(string path, SafeFileHandle folder, string newPath) =>
        PosixFileSystem.LinkAt(_folder ?? throw new ObjectDisposedException(Root), path, folder, newPath);

    public void Dispose() => _folder?.Dispose();

    /// <summary>The target of <paramref name="entry"/>'s symlink when this tree has it with the same CRC-32 and size, or null.</summary>
    public string? FindSymlinkTarget(ZipEntryRecord entry, string path)
    {
        ArgumentNullException.ThrowIfNull(entry);
        string? target;
        if (_index is not null)
        {
            target = _index.TryGetValue(entry.Name, out var known) && known.Mode == (entry.UnixMode ?? -1) && known.LinkTarget.Length != 0
                ? known.LinkTarget
                : null;
        }
        else
        {
            target = ParentsAreDirectories(path) ? new FileInfo(Path.Join(Root, path)).LinkTarget : null;
        }

        if (target is null)
        {
            return null;
        }

        var bytes = Encoding.UTF8.GetBytes(target);
        return bytes.Length == entry.UncompressedSize && Crc32.HashToUInt32(bytes) == entry.Crc32 ? target : null;
    }

    private bool ParentsAreDirectories(ReadOnlySpan<char> path)
    {
        var slash = path.LastIndexOf('/');
        if (slash < 0)
        {
            return true;
        }

        // Looked up without making a string: most files share a folder already checked.
        var parent = path[..slash];
        if (_safeDirectories.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(parent, out var safe))
        {
            return safe;
        }

        // One statx, never following a symlink: a symlink to a folder is not a directory.
        var folder = parent.ToString();
        safe = _folder is not null && ParentsAreDirectories(parent) && PosixFileSystem.Lstat(_folder, folder, out _, out _) == NodeKind.Directory;
        _safeDirectories[folder] = safe;
        return safe;
    }

    private static uint Crc32Of(string path)
    {
        var crc = new Crc32();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[128 * 1024];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            crc.Append(buffer.AsSpan(0, n));
        }

        return crc.GetCurrentHashAsUInt32();
    }
}
