using System.Globalization;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// Whether any process this one can see holds something under a folder: an open file (<c>/proc/*/fd</c>), its
/// working directory (<c>/proc/*/cwd</c>) or a mapped file such as a loaded native library or assembly
/// (<c>/proc/*/maps</c>). Hand-written: .NET has no API for other processes' open files. Processes whose /proc
/// entries are not readable are not counted; in Lambda every process of the sandbox runs as the same user.
/// </summary>
public static class ProcessFileUsage
{
    public static bool IsInUse(string folder)
    {
        if (!Directory.Exists("/proc"))
        {
            return false;
        }

        var prefix = PosixFileSystem.RealPath(folder).TrimEnd('/') + "/";
        foreach (var process in new DirectoryInfo("/proc").EnumerateDirectories())
        {
            if (!int.TryParse(process.Name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            try
            {
                if (Under(new DirectoryInfo(Path.Join(process.FullName, "cwd")).LinkTarget, prefix)
                    || new DirectoryInfo(Path.Join(process.FullName, "fd")).EnumerateFileSystemInfos().Any(fd => Under(fd.LinkTarget, prefix))
                    || File.ReadLines(Path.Join(process.FullName, "maps")).Any(line => line.Contains(prefix, StringComparison.Ordinal)))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended or is not ours to inspect.
            }
        }

        return false;
    }

    private static bool Under(string? target, string prefix) =>
        target is not null && (target.StartsWith(prefix, StringComparison.Ordinal) || target + "/" == prefix);
}
