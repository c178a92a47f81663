using System.Buffers;
using System.IO.Hashing;
using ExtensionCache.Extension.Failures;
using Microsoft.Win32.SafeHandles;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// The file-system calls into the staging folder: directories, symlinks, and files created with O_EXCL semantics
/// and written while their CRC-32 is computed. Paths reach it only after <see cref="EntryPathTable"/> has
/// checked them; file content may be written from any thread.
/// </summary>
/// With <paramref name="readOnlyFiles"/> (zip bundles) files are created without write bits (their own handle still
/// writes them): a delta update hard-links them into later versions, where they share one inode. Files, folders and
/// links are made relative to a handle on the staging folder, opened at the first and held until disposed.
public sealed class StagingWriter(string root, ExtractionCaps caps, bool readOnlyFiles = false) : IDisposable
{
    private const UnixFileMode WriteBits = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF;
    private const UnixFileMode DefaultFileMode = (UnixFileMode)0x1A4; // 0644
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerReadWrite | UnixFileMode.UserExecute;
    private const UnixFileMode NewDirectoryMode = OwnerAll | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const int WriteBufferBytes = 128 * 1024;

    // A pool of this extraction's own: the shared pool would keep a write buffer per thread and per core resident
    // for the rest of the sandbox's life (a few MB of idle RSS after a parallel extraction).
    private readonly ArrayPool<byte> _writeBuffers = ArrayPool<byte>.Create(WriteBufferBytes, 16);
    private readonly Lock _folderLock = new();
    private SafeFileHandle? _folder;

    public void MakeDirectory(string entry, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        try
        {
            // The path is new and its parent exists: the staging folder is fresh and every path in it is recorded in
            // the path table, so no link can be in the way (files are created with O_EXCL, which also refuses a link).
            Publishing.PosixFileSystem.MakeDirectory(Folder(), path, NewDirectoryMode);
        }
        catch (IOException ex)
        {
            throw EntryPathPolicy.Refuse(entry, $"the directory could not be created: {ex.Message}");
        }
    }

    public void MakeSymlink(string entry, string path, string target)
    {
        try
        {
            File.CreateSymbolicLink(Full(path), target);
        }
        catch (IOException ex)
        {
            throw EntryPathPolicy.Refuse(entry, $"the symlink could not be created: {ex.Message}");
        }
    }

    /// <summary>
    /// Copies <paramref name="content"/> into the new file <paramref name="path"/> and returns the bytes written
    /// and their CRC-32. Stops with <c>Extension.BundleIntegrity</c> as soon as more than
    /// <paramref name="declaredSize"/> bytes arrive, and with <c>Extension.BundleTooLarge</c> at the byte cap.
    /// </summary>
    public async Task<(long Written, uint Crc)> WriteFileAsync(
        string entry, string path, Stream content, long? declaredSize, UnixFileMode? mode, DateTimeOffset? modified, CancellationToken ct)
    {
        var crc = new Crc32();
        long written = 0;
        var buffer = _writeBuffers.Rent(WriteBufferBytes);
        try
        {
            using var file = OpenFile(entry, path, mode);
            while (true)
            {
                var n = await content.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                if (declaredSize is { } declared && written + n > declared)
                {
                    throw CorruptArchive.Entry(entry, $"it unpacks to more than its declared {declared} bytes");
                }

                crc.Append(buffer.AsSpan(0, n));
                file.WriteAt(buffer.AsSpan(0, n), written);
                written += n;
            }

            file.Complete(modified);
        }
        catch (Exception ex) when (CorruptArchive.IsDecoderError(ex))
        {
            throw CorruptArchive.Entry(entry, ex.Message, ex);
        }
        finally
        {
            _writeBuffers.Return(buffer);
        }

        return (written, crc.GetCurrentHashAsUInt32());
    }

    /// <summary>
    /// Creates the new file <paramref name="path"/> for content written in pieces, at any offset and from any thread
    /// (a zstd entry decoded frame by frame), with <paramref name="mode"/> from the start.
    /// </summary>
    public StagedFile OpenFile(string entry, string path, UnixFileMode? mode) => new(entry, OpenNew(entry, path, FileModeOf(mode)), caps);

    /// <summary>
    /// Hard-links the new file <paramref name="path"/> to the file at the same path in <paramref name="from"/> (same file
    /// system), restamped as <see cref="ExistingTree.RestampsLinkedFiles"/> says.
    /// </summary>
    public void LinkFile(string entry, string path, ExistingTree from, UnixFileMode? mode, DateTimeOffset? modified)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        try
        {
            from.LinkFile(path, Folder(), path);
        }
        catch (IOException ex)
        {
            throw EntryPathPolicy.Refuse(entry, $"the file could not be linked from the previous version: {ex.Message}");
        }

        if (from.RestampsLinkedFiles)
        {
            File.SetUnixFileMode(Full(path), FileModeOf(mode));
            if (modified is { } time)
            {
                File.SetLastWriteTimeUtc(Full(path), time.UtcDateTime);
            }
        }
    }

    /// <summary>Applies directory modes deepest first, so a read-only directory does not block its own children.</summary>
    public void ApplyDirectoryModes(IEnumerable<(string Path, UnixFileMode Mode)> modes)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        foreach (var (path, mode) in modes.OrderByDescending(d => d.Path.Length))
        {
            File.SetUnixFileMode(Full(path), (mode & PermissionBits) | OwnerAll);
        }
    }

    private SafeFileHandle OpenNew(string entry, string path, UnixFileMode mode)
    {
        try
        {
            // openat relative to the staging folder, with the final mode: no path walk from the root, no fstat, lseek,
            // fchmod or flock per file (File.OpenHandle and File.SetUnixFileMode make them), tens of thousands of files.
            return Publishing.PosixFileSystem.CreateFile(Folder(), path, mode);
        }
        catch (IOException ex) when (DiskFull.Is(ex))
        {
            throw DiskFull.Failure($"entry '{EntryPathPolicy.Display(entry)}': no space left in the cache root", ex);
        }
        catch (IOException ex)
        {
            throw EntryPathPolicy.Refuse(entry, $"the file could not be created: {ex.Message}");
        }
    }

    private UnixFileMode FileModeOf(UnixFileMode? mode)
    {
        var bits = ((mode ?? DefaultFileMode) & PermissionBits) | UnixFileMode.UserRead;
        return readOnlyFiles ? bits & ~WriteBits : bits | UnixFileMode.UserWrite;
    }

    private string Full(string path) => Path.Join(root, path);

    private SafeFileHandle Folder()
    {
        lock (_folderLock)
        {
            ObjectDisposedException.ThrowIf(_folder?.IsClosed == true, this);
            return _folder ??= Publishing.PosixFileSystem.OpenFolder(root) ?? throw new IOException($"the staging folder {root} cannot be opened");
        }
    }

    public void Dispose()
    {
        lock (_folderLock)
        {
            _folder?.Dispose();
        }
    }
}
