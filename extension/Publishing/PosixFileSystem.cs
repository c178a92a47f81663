using System.Runtime.InteropServices;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// The file-system calls .NET does not expose, each failing as an <see cref="IOException"/> whose HResult is the
/// errno (as .NET's own file APIs do on Unix): rename(2), because File.Move onto a symlink that points at a
/// directory is not guaranteed to be a single atomic rename; link(2), which .NET has no API for and which never
/// follows a symlink at the old path on Linux; realpath(3).
/// </summary>
internal static partial class PosixFileSystem
{
    public static void Rename(string from, string to) => Check(rename(from, to), $"rename {from} -> {to}");

    public static void Link(string existing, string path) => Check(link(existing, path), $"link {existing} -> {path}");

    /// <summary>realpath(3): the path with every symlink resolved, or the path itself when it cannot be resolved.</summary>
    public static string RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return path;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved) ?? path;
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string oldpath, string newpath);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);
}
