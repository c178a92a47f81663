using System.Security.Cryptography;

namespace ExtensionCache.Tests.Interop;

/// <summary>
/// What an extracted tree holds, path by path: kind, size, content hash, exec bits (or, with <c>modes</c>, every
/// permission bit of files and directories), link target, mtime (seconds).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class TreeSnapshot
{
    /// <summary>One line per entry, sorted by path; directories carry only their kind (their mtimes change as they fill), and their mode with <paramref name="modes"/>.</summary>
    public static SortedDictionary<string, string> Take(string root, bool mtimes, bool modes = false)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            var path = Path.GetRelativePath(root, info.FullName).Replace('\\', '/');
            if (path is ExtensionCache.Contract.CacheLayout.ManifestFileName or ExtensionCache.Contract.CacheLayout.EntryIndexFileName)
            {
                continue;
            }

            if (info.LinkTarget is { } target)
            {
                entries[path] = $"link -> {target}";
            }
            else if (info is DirectoryInfo)
            {
                entries[path] = modes ? $"dir mode {Octal(info.UnixFileMode)}" : "dir";
            }
            else
            {
                var file = (FileInfo)info;
                var exec = (int)(file.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute));
                var time = mtimes ? $" mtime {new DateTimeOffset(file.LastWriteTimeUtc).ToUnixTimeSeconds()}" : string.Empty;
                using var stream = file.OpenRead();
                var bits = modes ? $"mode {Octal(file.UnixFileMode)}" : $"exec {Convert.ToString(exec, 8)}";
                entries[path] = $"file {file.Length} bytes sha256 {Convert.ToHexStringLower(SHA256.HashData(stream))[..16]} {bits}{time}";
            }
        }

        return entries;
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8);

    /// <summary>Every difference between two snapshots, one line each, or an empty string.</summary>
    public static string Diff(SortedDictionary<string, string> ours, SortedDictionary<string, string> reference)
    {
        var lines = new List<string>();
        foreach (var path in ours.Keys.Union(reference.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var a = ours.GetValueOrDefault(path, "(missing)");
            var b = reference.GetValueOrDefault(path, "(missing)");
            if (a != b)
            {
                lines.Add($"  {path}: ours {a} | reference {b}");
            }
        }

        return string.Join('\n', lines);
    }
}
