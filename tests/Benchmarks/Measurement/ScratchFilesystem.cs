using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks.Measurement;

/// <summary>
/// A dedicated tmpfs standing in for Lambda's /tmp: nothing else writes to it, so its used blocks (statfs) are
/// exactly what the approach under test put there, and sampling them is one cheap syscall.
/// </summary>
public sealed class ScratchFilesystem : IAsyncDisposable
{
    private ScratchFilesystem(string path, bool mounted)
    {
        Path = path;
        IsDedicated = mounted;
    }

    public string Path { get; }

    /// <summary>False when tmpfs could not be mounted (not root): /tmp figures are then not measured.</summary>
    public bool IsDedicated { get; }

    public static async Task<ScratchFilesystem> CreateAsync(long sizeBytes, CancellationToken cancellationToken)
    {
        var path = Directory.CreateTempSubdirectory("ec-bench-tmpfs-").FullName;
        try
        {
            (await ChildProcess.RunAsync(
                ChildProcess.Info("mount", "-t", "tmpfs", "-o", $"size={sizeBytes / (1024 * 1024)}m", "tmpfs", path),
                TimeSpan.FromSeconds(20),
                cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSucceeded();
            return new ScratchFilesystem(path, mounted: true);
        }
        catch (InvalidOperationException exception)
        {
            Console.WriteLine($"warning: cannot mount a tmpfs ({exception.Message.Split('\n')[0]}); peak /tmp will not be measured");
            return new ScratchFilesystem(path, mounted: false);
        }
    }

    /// <summary>Bytes in use on the filesystem (blocks, as Lambda's /tmp quota counts them).</summary>
    public long UsedBytes()
    {
        var drive = new DriveInfo(Path);
        return drive.TotalSize - drive.TotalFreeSpace;
    }

    public string NewFolder(string name)
    {
        var folder = System.IO.Path.Combine(Path, name);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        return folder;
    }

    public void Clear()
    {
        foreach (var entry in new DirectoryInfo(Path).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo directory && directory.LinkTarget is null)
            {
                directory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (IsDedicated)
        {
            (await ChildProcess.RunAsync(ChildProcess.Info("umount", Path), TimeSpan.FromSeconds(30)).ConfigureAwait(false)).EnsureSucceeded();
        }

        Directory.Delete(Path, recursive: true);
    }
}
