using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// The file-system calls .NET does not expose, each failing as an <see cref="IOException"/> whose HResult is the
/// errno (as .NET's own file APIs do on Unix): rename(2), because File.Move onto a symlink that points at a
/// directory is not guaranteed to be a single atomic rename; realpath(3); and, for the tens of thousands of files,
/// folders, lookups and hard links of an extraction, an O_PATH handle on a tree's folder with openat(2), mkdirat(2),
/// statx(2) and linkat(2) relative to it, then pwrite(2) and futimens(2) on a new file: .NET has no hard-link API,
/// neither statx nor linkat follows a symlink at the looked-up path, and there is no FileInfo, DirectoryInfo or
/// File.OpenHandle (a path normalisation, an object, and a stat, geteuid or lseek call each), no stat before setting
/// an mtime and no walk of the folder's own path each time.
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
    /// openat(2) of a new file at <paramref name="path"/> under <paramref name="folder"/> for writing, created with
    /// <paramref name="mode"/> (O_EXCL: an existing file or symlink there is an error). The mode applies to later opens,
    /// so a read-only file is still written through this handle; fchmod(2) follows only when the umask took bits away.
    /// </summary>
    public static SafeFileHandle CreateFile(SafeFileHandle folder, string path, UnixFileMode mode)
    {
        var handle = openat(folder, path, OWronly | OCreat | OExcl | OCloexec, (uint)mode);
        if (handle.IsInvalid)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"create {path} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        if (((int)mode & Umask.Value) != 0)
        {
            Check(fchmod(handle, (uint)mode), $"chmod {path}");
        }

        return handle;
    }

    /// <summary>pwrite(2) of all of <paramref name="data"/> at <paramref name="offset"/>; safe from several threads for disjoint ranges.</summary>
    public static unsafe void WriteAt(SafeFileHandle file, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* start = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = pwrite(file, start + done, (nuint)(data.Length - done), offset + done);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr)
                    {
                        continue;
                    }

                    throw new IOException($"write failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
                }

                done += (int)n;
            }
        }
    }

    /// <summary>futimens(2): sets the mtime only (the atime is left as it is), one call with no stat first.</summary>
    public static void SetModified(SafeFileHandle file, DateTimeOffset modified)
    {
        var ticks = modified.UtcTicks - DateTime.UnixEpoch.Ticks;
        Span<long> times = [0, UtimeOmit, Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest), rest * 100];
        if (times[3] < 0)
        {
            // Before 1970: tv_nsec must be 0..999,999,999.
            times[2] -= 1;
            times[3] += 1_000_000_000;
        }

        Check(futimens(file, ref MemoryMarshal.GetReference(times)), "set mtime");
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

    private const int OWronly = 0x1;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int Eintr = 4;
    private const long UtimeOmit = (1L << 30) - 2;
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

    /// <summary>The process's umask, from /proc/self/status (umask(2) can only be read by changing it); 0o777 when unreadable, so every mode is then set by fchmod.</summary>
    private static readonly Lazy<int> Umask = new(() =>
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Umask:", StringComparison.Ordinal));
            return line is null ? 0x1FF : Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0x1FF;
        }
    });

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial SafeFileHandle openat(SafeFileHandle dirfd, string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int fchmod(SafeFileHandle fd, uint mode);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static unsafe partial nint pwrite(SafeFileHandle fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int futimens(SafeFileHandle fd, ref long times);

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
