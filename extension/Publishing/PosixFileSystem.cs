using System.Runtime.InteropServices;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// The two calls .NET does not expose: rename(2), because File.Move onto a symlink that points at a directory is
/// not guaranteed to be a single atomic rename (it checks the destination and may refuse or unlink first), and
/// syncfs(2), which flushes every staged file and directory in one call instead of one fsync per file.
/// </summary>
internal static partial class PosixFileSystem
{
    public static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"rename {from} -> {to} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    /// <summary>Flushes the whole file system that holds <paramref name="file"/> (a regular file: .NET opens no directories).</summary>
    public static void SyncFileSystemOf(string file)
    {
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read);
        if (syncfs(handle.DangerousGetHandle().ToInt32()) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"syncfs {file} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string oldpath, string newpath);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int syncfs(int fd);
}
