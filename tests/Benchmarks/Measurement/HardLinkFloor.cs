using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ExtensionCache.Benchmarks.Measurement;

/// <summary>
/// The least a hard-link delta can cost on this file system: a copy of a published tree made of one mkdir per
/// folder and one link(2) per file, on one thread, with nothing else (no lookups, no checks, no index). The tree is
/// listed before the clock starts. A delta that reuses every file cannot be cheaper than this.
/// </summary>
public static partial class HardLinkFloor
{
    /// <summary>Copies <paramref name="tree"/> to <paramref name="copy"/> (which must not exist) by hard links; returns the time taken.</summary>
    public static TimeSpan Measure(string tree, string copy)
    {
        var root = new DirectoryInfo(tree).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? tree;
        var folders = Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories)
            .Select(d => Path.GetRelativePath(root, d)).Order(StringComparer.Ordinal).ToList();
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f)).ToList();
        var started = Stopwatch.GetTimestamp();
        foreach (var folder in folders.Prepend(string.Empty))
        {
            if (mkdir(Path.Join(copy, folder), 0x1ED) != 0)
            {
                throw new IOException($"mkdir {folder} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        foreach (var file in files)
        {
            if (link(Path.Join(root, file), Path.Join(copy, file)) != 0)
            {
                throw new IOException($"link {file} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        return Stopwatch.GetElapsedTime(started);
    }

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdir(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);
}
