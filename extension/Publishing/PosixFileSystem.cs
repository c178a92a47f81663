using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// The file-system calls .NET does not expose, each failing as an <see cref="IOException"/> whose HResult is the
/// errno (as .NET's own file APIs do on Unix): rename(2), because File.Move onto a symlink that points at a
/// directory is not guaranteed to be a single atomic rename; realpath(3); and, for the tens of thousands of folders,
/// lookups and hard links of a delta, an O_PATH handle on a tree's folder with mkdirat(2), statx(2) and linkat(2)
/// relative to it: .NET has no hard-link API, neither statx nor linkat follows a symlink at the looked-up path, and
/// there is no FileInfo or DirectoryInfo (a path normalisation, an object and a geteuid call each) and no walk of the
/// folder's own path each time.
/// </summary>
internal static partial class PosixFileSystem
{
    public static void Rename(string from, string to) => Check(rename(from, to), $"rename {from} -> {to}");

    /// <summary>mkdirat(2) of one new folder under <paramref name="folder"/> whose parent exists: no parent walk, no existing-folder check, no DirectoryInfo.</summary>
    public static void MakeDirectory(SafeFileHandle folder, string path, UnixFileMode mode) => Check(mkdirat(folder, path, (uint)mode), $"mkdir {path}");

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

    /// <summary>An O_PATH handle on the folder <paramref name="path"/> (symlinks on the way followed), or null when it cannot be opened.</summary>
    public static SafeFileHandle? OpenFolder(string path)
    {
        // No O_DIRECTORY (its value differs between x86_64 and arm64): a lookup under a handle that is not a folder fails with ENOTDIR.
        var handle = open(path, OPath | OCloexec);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            return null;
        }

        return handle;
    }

    /// <summary>
    /// linkat(2): a new link at <paramref name="path"/> under <paramref name="toFolder"/> to the file at
    /// <paramref name="existing"/> under <paramref name="fromFolder"/> (a symlink there is linked, never followed).
    /// </summary>
    public static void LinkAt(SafeFileHandle fromFolder, string existing, SafeFileHandle toFolder, string path) =>
        Check(linkat(fromFolder, existing, toFolder, path, 0), $"link {existing} -> {path}");

    /// <summary>
    /// What is at <paramref name="path"/> under <paramref name="folder"/> itself (a symlink is reported as one, never
    /// followed), with its size and mtime in <see cref="DateTime"/> ticks (UTC, as
    /// <see cref="FileSystemInfo.LastWriteTimeUtc"/> gives them); <see cref="NodeKind.Missing"/> when nothing can be read there.
    /// </summary>
    public static NodeKind Lstat(SafeFileHandle folder, string path, out long size, out long mtimeTicks)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (statx(folder, path, AtSymlinkNoFollow, StatxType | StatxSizeMask | StatxMtime, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            size = 0;
            mtimeTicks = 0;
            return NodeKind.Missing;
        }

        // struct statx is the same on every architecture: mode (u16) at 28, size (u64) at 40, mtime at 112
        // (tv_sec i64, then tv_nsec u32).
        var mode = BitConverter.ToUInt16(buffer[28..]);
        size = BitConverter.ToInt64(buffer[40..]);
        mtimeTicks = DateTime.UnixEpoch.Ticks + (BitConverter.ToInt64(buffer[112..]) * TimeSpan.TicksPerSecond) + (BitConverter.ToUInt32(buffer[120..]) / 100);
        return (mode & FileTypeMask) switch
        {
            RegularFile => NodeKind.File,
            Directory => NodeKind.Directory,
            _ => NodeKind.Other,
        };
    }

    private const int OPath = 0x200000;
    private const int OCloexec = 0x80000;
    private const int StatxSize = 256;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxMtime = 0x40;
    private const uint StatxSizeMask = 0x200;
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int Directory = 0x4000;

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(SafeFileHandle dirfd, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial SafeFileHandle open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int linkat(SafeFileHandle olddirfd, string oldpath, SafeFileHandle newdirfd, string newpath, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string oldpath, string newpath);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdirat(SafeFileHandle dirfd, string path, uint mode);

}

/// <summary>What <see cref="PosixFileSystem.Lstat"/> found at a path.</summary>
internal enum NodeKind
{
    Missing,
    File,
    Directory,

    /// <summary>A symlink, device, socket or FIFO.</summary>
    Other,
}
