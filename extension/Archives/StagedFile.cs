using ExtensionCache.Extension.Failures;
using Microsoft.Win32.SafeHandles;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// A new file in the staging folder, open for writing at any offset and from any thread (pwrite): every piece is
/// counted against the byte cap before it is written, and ENOSPC becomes <c>Extension.BundleTooLarge</c>. Its
/// mode and mtime are set once, by <see cref="Complete"/>, after the content is whole. Made by
/// <see cref="StagingWriter.OpenFile"/>.
/// </summary>
public sealed class StagedFile : IDisposable
{
    private readonly string _entry;
    private readonly SafeFileHandle _handle;
    private readonly ExtractionCaps _caps;
    private readonly UnixFileMode _mode;

    internal StagedFile(string entry, SafeFileHandle handle, ExtractionCaps caps, UnixFileMode mode)
    {
        _entry = entry;
        _handle = handle;
        _caps = caps;
        _mode = mode;
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>; safe to call from several threads for disjoint ranges.</summary>
    public void WriteAt(ReadOnlySpan<byte> data, long offset)
    {
        _caps.CountBytes(_entry, data.Length);
        try
        {
            RandomAccess.Write(_handle, data, offset);
        }
        catch (IOException ex) when (DiskFull.Is(ex))
        {
            throw DiskFull.Failure($"entry '{EntryPathPolicy.Display(_entry)}': no space left in the cache root after {_caps.Bytes} bytes", ex);
        }
    }

    /// <summary>Sets the file's mode (given to <see cref="StagingWriter.OpenFile"/>) and <paramref name="modified"/> time, once every piece is written.</summary>
    public void Complete(DateTimeOffset? modified)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        File.SetUnixFileMode(_handle, _mode);
        if (modified is { } time)
        {
            File.SetLastWriteTimeUtc(_handle, time.UtcDateTime);
        }
    }

    public void Dispose() => _handle.Dispose();
}
