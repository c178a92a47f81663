using System.Runtime.InteropServices;

namespace ExtensionCache.Cli.Packing;

/// <summary>What a path is, from lstat(2). Hand-written: .NET's public API tells files, directories and links apart,
/// but not fifos, sockets or devices (which it enumerates as files), so this asks the runtime's own native shim.</summary>
public enum FileKind
{
    File,
    Directory,
    Symlink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Unknown,
}

/// <summary>lstat through System.Native (shipped with every .NET runtime; its FileStatus layout is the same on every platform).</summary>
public static partial class FileKinds
{
    private const int TypeMask = 0xF000;

    public static FileKind Of(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            // Windows has no fifos, devices or sockets in a folder tree.
            var attributes = File.GetAttributes(path);
            return (attributes & FileAttributes.ReparsePoint) != 0 ? FileKind.Symlink
                : (attributes & FileAttributes.Directory) != 0 ? FileKind.Directory
                : FileKind.File;
        }

        // FileStatus: int Flags, int Mode, ... (larger than any version of the struct).
        Span<byte> status = stackalloc byte[512];
        if (LStat(path, ref MemoryMarshal.GetReference(status)) != 0)
        {
            throw new IOException($"cannot stat '{path}': {Marshal.GetLastPInvokeErrorMessage()}");
        }

        var mode = MemoryMarshal.Read<int>(status[4..]);
        return (mode & TypeMask) switch
        {
            0x8000 => FileKind.File,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Symlink,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Unknown,
        };
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LStat(string path, ref byte status);
}
