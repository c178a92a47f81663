using System.Runtime.InteropServices;

namespace ExtensionCache.Extension.Archives;

/// <summary>link(2), which .NET does not expose. It never follows a symlink at the old path (Linux).</summary>
internal static partial class HardLink
{
    public static void Create(string existing, string path)
    {
        if (link(existing, path) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"link {existing} -> {path} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);
}
