using System.IO.Compression;

namespace LambdaEmulator.Sandbox;

/// <summary>
/// Copies a layer or function (zip or folder) into a sandbox folder, keeping unix modes and symbolic links
/// the way Lambda's unpacking does (ZipFile.ExtractToDirectory does not restore symlinks).
/// </summary>
public static class CodeUnpacker
{
    private const int FileTypeMask = 0xF000;
    private const int SymbolicLinkType = 0xA000;
    private const int DirectoryType = 0x4000;

    public static void Unpack(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        if (Directory.Exists(source))
        {
            CopyFolder(new DirectoryInfo(source), destination);
        }
        else if (File.Exists(source))
        {
            ExtractZip(source, destination);
        }
        else
        {
            throw new FileNotFoundException($"No such layer or function: {source}", source);
        }
    }

    private static void ExtractZip(string zipPath, string destination)
    {
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        using var archive = ZipFile.OpenRead(zipPath);
        foreach (var entry in archive.Entries)
        {
            var target = Path.GetFullPath(Path.Combine(root, entry.FullName));
            if (!target.StartsWith(root, StringComparison.Ordinal) && target + Path.DirectorySeparatorChar != root)
            {
                throw new InvalidDataException($"Zip entry escapes the destination: {entry.FullName}");
            }

            var mode = (entry.ExternalAttributes >> 16) & 0xFFFF;
            var type = mode & FileTypeMask;
            if (entry.FullName.EndsWith('/') || type == DirectoryType)
            {
                Directory.CreateDirectory(target);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            DeleteIfPresent(target);
            if (type == SymbolicLinkType)
            {
                using var reader = new StreamReader(entry.Open());
                File.CreateSymbolicLink(target, reader.ReadToEnd());
                continue;
            }

            entry.ExtractToFile(target, overwrite: true);
            var permissions = mode & 0x1FF;
            File.SetUnixFileMode(target, permissions != 0 ? (UnixFileMode)permissions : DefaultFileMode);
        }
    }

    private static void CopyFolder(DirectoryInfo source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var item in source.EnumerateFileSystemInfos())
        {
            var target = Path.Combine(destination, item.Name);
            if (item.LinkTarget is { } linkTarget)
            {
                DeleteIfPresent(target);
                File.CreateSymbolicLink(target, linkTarget);
            }
            else if (item is DirectoryInfo folder)
            {
                CopyFolder(folder, target);
            }
            else
            {
                DeleteIfPresent(target);
                File.Copy(item.FullName, target);
                File.SetUnixFileMode(target, item.UnixFileMode);
            }
        }
    }

    private static void DeleteIfPresent(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists || info.LinkTarget is not null)
        {
            info.Delete();
        }
    }

    private const UnixFileMode DefaultFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
}
