using ExtensionCache.Extension.Failures;
using Microsoft.Win32.SafeHandles;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// A new file in the staging folder, created with its final mode and open for writing at any offset and from any
/// thread (pwrite): every piece is counted against the byte cap before it is written, and ENOSPC becomes
/// <c>Extension.BundleTooLarge</c>. Its mtime is set once, by <see cref="Complete"/>, after the content is whole.
/// Made by <see cref="StagingWriter.OpenFile"/>.
/// </summary>
public sealed class StagedFile : IDisposable
{
    private readonly string _entry;
    private readonly SafeFileHandle _handle;
    private readonly ExtractionCaps _caps;

    internal StagedFile(string entry, SafeFileHandle handle, ExtractionCaps caps)
    {
        _entry = entry;
        _handle = handle;
        _caps = caps;
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>; safe to call from several threads for disjoint ranges.</summary>
    public void WriteAt(ReadOnlySpan<byte> data, long offset)
    {
        _caps.CountBytes(_entry, data.Length);
        try
        {
            Publishing.PosixFileSystem.WriteAt(_handle, data, offset);
        }
        catch (IOException ex) when (DiskFull.Is(ex))
        {
            throw DiskFull.Failure($"entry '{EntryPathPolicy.Display(_entry)}': no space left in the cache root after {_caps.Bytes} bytes", ex);
        }
    }

    /// <summary>Sets the file's <paramref name="modified"/> time, once every piece is written.</summary>
    public void Complete(DateTimeOffset? modified)
    {
        if (modified is { } time)
        {
            Publishing.PosixFileSystem.SetModified(_handle, time);
        }
    }

    public void Dispose() => _handle.Dispose();
}
