using System.Runtime.InteropServices;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// The file-system calls .NET does not expose, each failing as an <see cref="IOException"/> whose HResult is the
/// errno (as .NET's own file APIs do on Unix): rename(2), because File.Move onto a symlink that points at a
/// directory is not guaranteed to be a single atomic rename; link(2), which .NET has no API for and which never
/// follows a symlink at the old path on Linux; realpath(3); statx(2) without following a symlink, because
/// FileInfo costs a path normalisation, an object and a geteuid call per lookup, which a delta makes tens of
/// thousands of times.
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

    /// <summary>
    /// What is at <paramref name="path"/> itself (a symlink is reported as one, never followed), with its size and
    /// mtime in <see cref="DateTime"/> ticks (UTC, as <see cref="FileSystemInfo.LastWriteTimeUtc"/> gives them);
    /// <see cref="NodeKind.Missing"/> when nothing can be read there.
    /// </summary>
    public static NodeKind Lstat(string path, out long size, out long mtimeTicks)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxSizeMask | StatxMtime, ref MemoryMarshal.GetReference(buffer)) != 0)
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

    private const int StatxSize = 256;
    private const int AtFdCwd = -100;
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
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string oldpath, string newpath);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);
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
