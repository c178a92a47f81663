namespace ExtensionCache.Cli.Packing;

/// <summary>
/// One entry to pack: <paramref name="Path"/> relative to the tree, '/'-separated (a directory's without the
/// trailing '/'); <paramref name="Source"/> the file on disk; <paramref name="Content"/> replaces the file's bytes
/// when the packer rewrote them (a .pyc header under <c>--mtime</c>).
/// </summary>
public sealed record TreeEntry(
    string Path,
    FileKind Kind,
    string Source,
    long Size,
    UnixFileMode Mode,
    long MtimeSeconds,
    string? LinkTarget,
    byte[]? Content = null);
