using System.Runtime.InteropServices;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// The call .NET does not expose: rename(2), because File.Move onto a symlink that points at a directory is
/// not guaranteed to be a single atomic rename (it checks the destination and may refuse or unlink first).
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

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string oldpath, string newpath);
}
