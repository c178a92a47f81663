namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Where an archive reader puts checked entries: a fresh staging folder. Each entry's path is claimed in the
/// <see cref="EntryPathTable"/> (the security invariant), counted against the <see cref="ExtractionCaps"/>, and
/// only then created by the <see cref="StagingWriter"/>. Paths are claimed by one thread (the archive reader,
/// in archive order); the content of a claimed file may be written or linked from any thread
/// (<see cref="WriteClaimedFileAsync"/>, <see cref="LinkClaimedFile"/>), which is how <see cref="EntryWriterPool"/>
/// writes small files, and a delta links unchanged ones, in parallel. Disposing it closes the handle its writer holds
/// on the folder.
/// </summary>
public sealed class ExtractionTarget : IDisposable
{
    private readonly EntryPathTable _paths = new();
    private readonly StagingWriter _writer;
    private readonly List<(string Path, UnixFileMode Mode)> _directoryModes = [];

    /// <param name="root">The fresh staging folder.</param>
    /// <param name="caps">The entry and byte caps.</param>
    /// <param name="readOnlyFiles">Leave files without write bits (zip bundles, whose files a delta update hard-links).</param>
    public ExtractionTarget(string root, ExtractionCaps caps, bool readOnlyFiles = false)
    {
        ArgumentNullException.ThrowIfNull(caps);
        Root = root;
        Caps = caps;
        _writer = new StagingWriter(root, caps, readOnlyFiles);
    }

    public string Root { get; }

    public ExtractionCaps Caps { get; }

    public long Bytes => Caps.Bytes;

    public long Files { get; private set; }

    public long Directories { get; private set; }

    public long Symlinks { get; private set; }

    public void CreateDirectory(string entry, string path, UnixFileMode? mode)
    {
        if (path.Length == 0)
        {
            return;
        }

        if (_paths.DeclareDirectory(entry, path))
        {
            CreateParents(entry, path);
            Caps.CountEntry(entry);
            _writer.MakeDirectory(entry, path);
            _paths.Record(path, EntryPathTable.EntryKind.Directory);
            Directories++;
        }

        if (mode is { } m)
        {
            _directoryModes.Add((path, m));
        }
    }

    public void CreateSymlink(string entry, string path, string target)
    {
        EntryPathPolicy.CheckLinkTarget(entry, path, target);
        ClaimNew(entry, path);
        _writer.MakeSymlink(entry, path, target);
        _paths.Record(path, EntryPathTable.EntryKind.Symlink);
        Symlinks++;
    }

    /// <summary>
    /// Claims <paramref name="path"/> and copies <paramref name="content"/> into it; returns the bytes written and
    /// their CRC-32 (see <see cref="StagingWriter.WriteFileAsync"/> for the checks on the way).
    /// </summary>
    public Task<(long Written, uint Crc)> WriteFileAsync(
        string entry, string path, Stream content, long? declaredSize, UnixFileMode? mode, DateTimeOffset? modified, CancellationToken ct)
    {
        ClaimFile(entry, path);
        return WriteClaimedFileAsync(entry, path, content, declaredSize, mode, modified, ct);
    }

    /// <summary>Records <paramref name="path"/> as a file of this bundle (parents created, the entry cap checked); reader thread only.</summary>
    public void ClaimFile(string entry, string path)
    {
        ClaimNew(entry, path);
        _paths.Record(path, EntryPathTable.EntryKind.File);
        Files++;
    }

    /// <summary>
    /// Claims <paramref name="path"/> like <see cref="ClaimFile"/> for a file that <see cref="LinkClaimedFile"/> will
    /// hard-link from an <see cref="ExistingTree"/>; its <paramref name="size"/> counts against the byte cap.
    /// </summary>
    public void ClaimLinkedFile(string entry, string path, long size)
    {
        ClaimFile(entry, path);
        Caps.CountBytes(entry, size);
    }

    /// <summary>
    /// Hard-links a path claimed by <see cref="ClaimLinkedFile"/> to the verified file at the same path in
    /// <paramref name="from"/>; safe from any thread.
    /// </summary>
    public void LinkClaimedFile(string entry, string path, ExistingTree from, UnixFileMode? mode, DateTimeOffset? modified) =>
        _writer.LinkFile(entry, path, from, mode, modified);

    /// <summary>The content half of <see cref="WriteFileAsync"/> for a path already claimed; safe from any thread.</summary>
    public Task<(long Written, uint Crc)> WriteClaimedFileAsync(
        string entry, string path, Stream content, long? declaredSize, UnixFileMode? mode, DateTimeOffset? modified, CancellationToken ct) =>
        _writer.WriteFileAsync(entry, path, content, declaredSize, mode, modified, ct);

    /// <summary>Opens a path already claimed for content written in pieces, at any offset, from any thread (see <see cref="StagedFile"/>).</summary>
    public StagedFile OpenClaimedFile(string entry, string path, UnixFileMode? mode) => _writer.OpenFile(entry, path, mode);

    /// <summary>Applies directory modes last, so a read-only directory does not block its own children.</summary>
    public void Complete() => _writer.ApplyDirectoryModes(_directoryModes);

    public void Dispose() => _writer.Dispose();

    private void ClaimNew(string entry, string path)
    {
        _paths.CheckNew(entry, path);
        CreateParents(entry, path);
        Caps.CountEntry(entry);
    }

    private void CreateParents(string entry, string path)
    {
        var missing = _paths.MissingParents(entry, path);
        for (var i = 0; i < missing.Count; i++)
        {
            var parent = missing[i];
            Caps.CountEntry(entry);
            _writer.MakeDirectory(entry, parent);
            _paths.Record(parent, EntryPathTable.EntryKind.ImplicitDirectory);
            Directories++;
        }
    }
}
