using System.Buffers;
using System.IO.Hashing;
using ExtensionCache.Extension.Publishing;
using Microsoft.Win32.SafeHandles;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Writes checked entries into a fresh staging folder. The folder is ours alone, so the kinds recorded here are
/// authoritative: an entry whose parent is a file or a symlink is refused (nothing is ever written through a
/// link), files are created with O_EXCL semantics, and caps apply to the bytes actually written.
/// Paths are claimed by one thread (the archive reader, in archive order); the content of a claimed file may be
/// written from any thread (<see cref="WriteClaimedFileAsync"/>), which is how <see cref="EntryWriterPool"/>
/// writes small files in parallel.
/// </summary>
public sealed class ExtractionTarget(string root, long maxBytes, int maxEntries)
{
    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF;
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerReadWrite | UnixFileMode.UserExecute;

    private const int WriteBufferBytes = 128 * 1024;

    // A pool of this extraction's own: the shared pool would keep a write buffer per thread and per core resident
    // for the rest of the sandbox's life (a few MB of idle RSS after a parallel extraction).
    private readonly ArrayPool<byte> _writeBuffers = ArrayPool<byte>.Create(WriteBufferBytes, 16);
    private readonly Dictionary<string, EntryKind> _kinds = new(StringComparer.Ordinal) { [string.Empty] = EntryKind.ImplicitDirectory };
    private readonly List<(string Path, UnixFileMode Mode)> _directoryModes = [];

    private enum EntryKind
    {
        ImplicitDirectory,
        Directory,
        File,
        Symlink,
    }

    public string Root => root;

    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Files { get; private set; }

    public long Directories { get; private set; }

    public long Symlinks { get; private set; }

    public long Entries => Files + Directories + Symlinks;

    public void CreateDirectory(string entry, string path, UnixFileMode? mode)
    {
        if (path.Length == 0)
        {
            return;
        }

        if (_kinds.TryGetValue(path, out var kind))
        {
            if (kind == EntryKind.ImplicitDirectory)
            {
                // Declared after a child made it implicitly: it now counts as declared.
                _kinds[path] = EntryKind.Directory;
                RecordMode(path, mode);
                return;
            }

            throw EntryPathPolicy.Refuse(entry, "a duplicate name (the bundle already has an entry at this path)");
        }

        EnsureParent(entry, path);
        CountEntry(entry);
        MakeDirectory(entry, path);
        _kinds[path] = EntryKind.Directory;
        Directories++;
        RecordMode(path, mode);
    }

    public void CreateSymlink(string entry, string path, string target)
    {
        EntryPathPolicy.CheckLinkTarget(entry, path, target);
        ClaimNew(entry, path);
        try
        {
            File.CreateSymbolicLink(Full(path), target);
        }
        catch (IOException ex)
        {
            throw EntryPathPolicy.Refuse(entry, $"the symlink could not be created: {ex.Message}");
        }

        _kinds[path] = EntryKind.Symlink;
        Symlinks++;
    }

    /// <summary>
    /// Copies <paramref name="content"/> into a new file and returns its CRC-32. Stops with
    /// <c>Extension.BundleIntegrity</c> as soon as more than <paramref name="declaredSize"/> bytes arrive, and
    /// with <c>Extension.BundleTooLarge</c> as soon as the bundle's byte cap would be passed.
    /// </summary>
    public Task<(long Written, uint Crc)> WriteFileAsync(
        string entry, string path, Stream content, long? declaredSize, UnixFileMode? mode, DateTimeOffset? modified, CancellationToken ct)
    {
        ClaimFile(entry, path);
        return WriteClaimedFileAsync(entry, path, content, declaredSize, mode, modified, ct);
    }

    /// <summary>Records <paramref name="path"/> as a file of this bundle (parents created, caps on entries checked); reader thread only.</summary>
    public void ClaimFile(string entry, string path)
    {
        ClaimNew(entry, path);
        _kinds[path] = EntryKind.File;
        Files++;
    }

    /// <summary>The content half of <see cref="WriteFileAsync"/> for a path already claimed; safe from any thread.</summary>
    public async Task<(long Written, uint Crc)> WriteClaimedFileAsync(
        string entry, string path, Stream content, long? declaredSize, UnixFileMode? mode, DateTimeOffset? modified, CancellationToken ct)
    {
        var crc = new Crc32();
        long written = 0;
        var buffer = _writeBuffers.Rent(WriteBufferBytes);
        try
        {
            using var handle = OpenNew(entry, path);
            while (true)
            {
                var n = await content.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                if (declaredSize is { } declared && written + n > declared)
                {
                    throw new BundleException(
                        BundleErrorTypes.Integrity,
                        $"entry '{EntryPathPolicy.Display(entry)}' refused: it unpacks to more than its declared {declared} bytes");
                }

                if (Interlocked.Add(ref _bytes, n) > maxBytes)
                {
                    throw new BundleException(
                        BundleErrorTypes.TooLarge,
                        $"entry '{EntryPathPolicy.Display(entry)}' refused: the bundle unpacks to more than {maxBytes} bytes (the unpacked-size cap, or the free space in the cache root)");
                }

                crc.Append(buffer.AsSpan(0, n));
                try
                {
                    RandomAccess.Write(handle, buffer.AsSpan(0, n), written);
                }
                catch (IOException ex) when (IsNoSpace(ex))
                {
                    throw new BundleException(
                        BundleErrorTypes.TooLarge,
                        $"entry '{EntryPathPolicy.Display(entry)}': no space left in the cache root after {Bytes} bytes",
                        ex);
                }

                written += n;
            }

            if (OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException();
            }

            File.SetUnixFileMode(handle, ((mode ?? (UnixFileMode)0x1A4) & PermissionBits) | OwnerReadWrite);
            if (modified is { } time)
            {
                File.SetLastWriteTimeUtc(handle, time.UtcDateTime);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new BundleException(
                BundleErrorTypes.Integrity,
                $"entry '{EntryPathPolicy.Display(entry)}' is corrupt: {ex.Message}",
                ex);
        }
        finally
        {
            _writeBuffers.Return(buffer);
        }

        return (written, crc.GetCurrentHashAsUInt32());
    }

    /// <summary>Applies directory modes last, deepest first, so a read-only directory does not block its own children.</summary>
    public void Complete()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        foreach (var (path, mode) in _directoryModes.OrderByDescending(d => d.Path.Length))
        {
            File.SetUnixFileMode(Full(path), (mode & PermissionBits) | OwnerAll);
        }
    }

    private static bool IsNoSpace(IOException ex) =>
        ex.HResult == 28 || ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    private void RecordMode(string path, UnixFileMode? mode)
    {
        if (mode is { } m)
        {
            _directoryModes.Add((path, m));
        }
    }

    private void ClaimNew(string entry, string path)
    {
        if (path.Length == 0)
        {
            throw EntryPathPolicy.Refuse(entry, "an empty or '.' name is not allowed");
        }

        if (_kinds.ContainsKey(path))
        {
            throw EntryPathPolicy.Refuse(entry, "a duplicate name (the bundle already has an entry at this path)");
        }

        EnsureParent(entry, path);
        CountEntry(entry);
    }

    private void CountEntry(string entry)
    {
        if (Entries + 1 > maxEntries)
        {
            throw new BundleException(
                BundleErrorTypes.TooLarge,
                $"entry '{EntryPathPolicy.Display(entry)}' refused: the bundle has more than {maxEntries} entries (the entry-count cap)");
        }
    }

    private void EnsureParent(string entry, string path)
    {
        var slash = path.LastIndexOf('/');
        var parent = slash < 0 ? string.Empty : path[..slash];
        if (_kinds.TryGetValue(parent, out var kind))
        {
            switch (kind)
            {
                case EntryKind.Directory or EntryKind.ImplicitDirectory:
                    return;
                case EntryKind.Symlink:
                    throw EntryPathPolicy.Refuse(entry, $"it would be written through the symlink '{parent}'");
                default:
                    throw EntryPathPolicy.Refuse(entry, $"its parent '{parent}' is a file");
            }
        }

        EnsureParent(entry, parent);
        CountEntry(entry);
        MakeDirectory(entry, parent);
        _kinds[parent] = EntryKind.ImplicitDirectory;
        Directories++;
    }

    private void MakeDirectory(string entry, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        try
        {
            // The path is new: the staging folder is fresh and every path in it is recorded in _kinds, so no
            // link can be in the way (files are created with O_EXCL, which also refuses a link).
            Directory.CreateDirectory(Full(path), OwnerAll | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        catch (IOException ex)
        {
            throw EntryPathPolicy.Refuse(entry, $"the directory could not be created: {ex.Message}");
        }
    }

    private SafeFileHandle OpenNew(string entry, string path)
    {
        try
        {
            // FileShare.ReadWrite: .NET emulates FileShare.None with flock(2), two syscalls per file for nothing here.
            return File.OpenHandle(Full(path), FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite);
        }
        catch (IOException ex) when (IsNoSpace(ex))
        {
            throw new BundleException(
                BundleErrorTypes.TooLarge,
                $"entry '{EntryPathPolicy.Display(entry)}': no space left in the cache root",
                ex);
        }
        catch (IOException ex)
        {
            throw EntryPathPolicy.Refuse(entry, $"the file could not be created: {ex.Message}");
        }
    }

    private string Full(string path) => Path.Join(root, path);
}
