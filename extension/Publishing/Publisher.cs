using System.Text.Json;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// The steps that change the cache root's <see cref="CacheLayout"/>: staging folders under <c>.staging</c>,
/// complete versions under <c>.store</c>, and per bundle a symlink <c>&lt;root&gt;/&lt;name&gt;</c> swapped atomically
/// with rename(2), so the published path is either the old complete version or the new one, never partial.
/// </summary>
public sealed class Publisher(string root)
{
    public const string StagingFolder = CacheLayout.StagingFolderName;
    public const string StoreFolder = CacheLayout.StoreFolderName;
    public const string StatusFolder = CacheLayout.StatusFolderName;

    private readonly CacheLayout _layout = new(root);

    public string Root => root;

    public string PublishedPath(string name) => _layout.BundlePath(name);

    public string StatusPath(string name) => _layout.StatusPath(name);

    /// <summary>The old-version policy for refreshes, seeing other processes through /proc.</summary>
    public VersionRetention Retention { get; } = new(Path.Join(root, StoreFolder), ProcessFileUsage.IsInUse);

    /// <summary>The store folder name <c>&lt;root&gt;/&lt;name&gt;</c> points at, or null when nothing is published.</summary>
    public string? CurrentVersion(string name) =>
        new FileInfo(PublishedPath(name)).LinkTarget is { } target ? Path.GetFileName(target.TrimEnd('/')) : null;

    /// <summary>The bundle's status file as last written, or null when there is none (or it cannot be read).</summary>
    public BundleStatus? ReadStatus(string name)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(StatusPath(name)), ContractJsonContext.Default.BundleStatus);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes every staging folder and temp link (left by a killed INIT) and every store version no published
    /// link points at, and deletes the status files of <paramref name="names"/>.
    /// </summary>
    public IReadOnlyList<string> CleanRoot(IEnumerable<string> names)
    {
        var removed = new List<string>();
        Directory.CreateDirectory(root);
        foreach (var folder in new[] { _layout.StagingFolder, _layout.StoreFolder, _layout.StatusFolder })
        {
            Directory.CreateDirectory(folder);
        }

        foreach (var staging in new DirectoryInfo(_layout.StagingFolder).EnumerateFileSystemInfos())
        {
            DeleteTree(staging.FullName);
            removed.Add(staging.FullName);
        }

        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith(CacheLayout.LinkTempPrefix, StringComparison.Ordinal) && entry.LinkTarget is not null)
            {
                entry.Delete();
                removed.Add(entry.FullName);
            }
            else if (entry.LinkTarget is { } target)
            {
                referenced.Add(Path.GetFileName(target.TrimEnd('/')));
            }
        }

        foreach (var version in new DirectoryInfo(_layout.StoreFolder).EnumerateFileSystemInfos())
        {
            if (!referenced.Contains(version.Name))
            {
                DeleteTree(version.FullName);
                removed.Add(version.FullName);
            }
        }

        foreach (var temp in Directory.EnumerateFiles(_layout.StatusFolder, "*" + CacheLayout.TempFileExtension))
        {
            File.Delete(temp);
        }

        foreach (var name in names)
        {
            File.Delete(StatusPath(name));
        }

        return removed;
    }

    public string CreateStaging(string name)
    {
        var path = Path.Join(_layout.StagingFolder, $"{name}-{RandomSuffix()}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The manifest of what <c>&lt;root&gt;/&lt;name&gt;</c> currently points at, or null when nothing usable is published.</summary>
    public BundleManifest? ReadPublished(string name)
    {
        var link = new FileInfo(PublishedPath(name));
        if (link.LinkTarget is null)
        {
            return null;
        }

        try
        {
            var text = File.ReadAllBytes(_layout.ManifestPath(name));
            return JsonSerializer.Deserialize(text, ContractJsonContext.Default.BundleManifest);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the manifest into the staging folder, moves it into the store and swaps the published link to it.
    /// Returns the store folder. The version it replaced stays in the store: a reader that resolved the old link a
    /// moment ago may still be opening files in it. <see cref="CleanRoot"/> removes it at the next start, before
    /// register, when no function code is running, and a refresh removes it before its next download once no
    /// process uses it (<see cref="VersionRetention"/>).
    /// No fsync/syncfs: every reader is in the same boot (a sandbox reset kills processes, not the kernel, so the
    /// page cache survives), where rename(2) alone makes the complete folder visible at once; a lost boot is a new
    /// execution environment with an empty /tmp. Flushing a bundle of hundreds of MB would only lengthen INIT.
    /// </summary>
    public string Publish(string name, string staging, BundleManifest manifest)
    {
        var manifestPath = Path.Join(staging, CacheLayout.ManifestFileName);
        using (var stream = new FileStream(manifestPath, FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, manifest, ContractJsonContext.Default.BundleManifest);
        }

        var storeName = $"{name}-{manifest.Sha256[..16]}";
        var store = Path.Join(_layout.StoreFolder, storeName);
        for (var n = 2; Path.Exists(store); n++)
        {
            storeName = $"{name}-{manifest.Sha256[..16]}-{n}";
            store = Path.Join(_layout.StoreFolder, storeName);
        }

        PosixFileSystem.Rename(staging, store);

        var link = PublishedPath(name);
        var temp = Path.Join(root, $"{CacheLayout.LinkTempPrefix}{name}-{RandomSuffix()}");
        File.CreateSymbolicLink(temp, CacheLayout.StoreLinkTarget(storeName));
        PosixFileSystem.Rename(temp, link);

        return store;
    }

    public void WriteStatus(BundleStatus status)
    {
        Directory.CreateDirectory(_layout.StatusFolder);
        var path = StatusPath(status.Name);
        var temp = $"{path}.{RandomSuffix()}{CacheLayout.TempFileExtension}";
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            // No fsync: readers are in the same boot, where rename alone makes the whole file visible at once,
            // and the extension deletes status files at every start. Saves milliseconds on the reuse path.
            JsonSerializer.Serialize(stream, status, ContractJsonContext.Default.BundleStatus);
        }

        PosixFileSystem.Rename(temp, path);
    }

    /// <summary>Deletes a folder tree without following symlinks (a bundle's links are removed, never their targets).</summary>
    public static void DeleteTree(string path)
    {
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null || File.Exists(path))
        {
            File.Delete(path);
            return;
        }

        if (!info.Exists)
        {
            return;
        }

        try
        {
            info.Delete(recursive: true);
        }
        catch (UnauthorizedAccessException)
        {
            // A read-only directory inside the tree: make the owner able to remove it, then retry.
            foreach (var dir in info.EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                if (!OperatingSystem.IsWindows())
                {
                    dir.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                }
            }

            info.Delete(recursive: true);
        }
    }

    // Unique, not secret: the cryptographic generator would load OpenSSL (~5 ms) on the reuse path.
    private static string RandomSuffix() => $"{Environment.ProcessId:x}{Random.Shared.Next():x8}";
}
