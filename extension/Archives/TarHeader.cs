namespace ExtensionCache.Extension.Archives;

/// <summary>What a tar entry is, after GNU and PAX extensions are applied.</summary>
public enum TarEntryKind
{
    File,
    Directory,
    Symlink,
    HardLink,
    Device,
    Fifo,
}

/// <summary>One data range of a sparse file: <paramref name="Length"/> stored bytes that belong at <paramref name="Offset"/>.</summary>
public readonly record struct SparseSegment(long Offset, long Length);

/// <summary>
/// One tar entry as <see cref="TarHeaderReader"/> resolved it: the name that will be written (the PAX
/// <c>GNU.sparse.name</c> or <c>path</c>, else the GNU long name, else the ustar prefix and name), the link target
/// (empty unless a link); <paramref name="Size"/> is the file's real size, <paramref name="Sparse"/> the map of a
/// sparse file (its stored data holds only the mapped ranges, in order).
/// </summary>
public sealed record TarHeader(
    TarEntryKind Kind,
    string Name,
    string LinkName,
    long Size,
    UnixFileMode Mode,
    DateTimeOffset? Modified,
    IReadOnlyList<SparseSegment>? Sparse);
