using System.Diagnostics;

namespace ExtensionCache.Tests.Faults;

/// <summary>
/// A real size-limited tmpfs mounted on an existing folder (the tests run as root, as in CI), so "disk full" is the
/// kernel's ENOSPC and not a simulation. Unmounted on dispose.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    public TmpfsMount(string path, string size)
    {
        Path = path;
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        Assert.True(code == 0, $"mounting a {size} tmpfs on {path} failed (the fault suite needs root, as in CI): {output}");
    }

    public string Path { get; }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public void Dispose() => Run("umount", "-l", Path);

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
