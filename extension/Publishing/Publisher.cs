using System.Text.Json;

namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// The steps that change the cache root (<see cref="CacheLayout"/>): attempts unpacked under <c>.staging</c>,
/// complete versions moved into <c>.store</c>, and per bundle a symlink <c>&lt;root&gt;/&lt;name&gt;</c> swapped
/// atomically with rename(2), so the published path is either the old complete version or the new one, never partial.
/// </summary>
public sealed class Publisher
{
    private readonly CacheLayout _layout;

    public Publisher(string root)
    {
        _layout = new CacheLayout(root);
        Retention = new VersionRetention(root, ProcessFileUsage.IsInUse);
    }

    internal CacheLayout Layout => _layout;

    public string Root => _layout.Root;

    /// <summary>The old-version policy for refreshes, seeing other processes through /proc.</summary>
    public VersionRetention Retention { get; }

    public string PublishedPath(string name) => _layout.BundlePath(name);

    public string StatusPath(string name) => _layout.StatusPath(name);

    /// <summary>The store version <c>&lt;root&gt;/&lt;name&gt;</c> points at, or null when nothing is published.</summary>
    public string? CurrentVersion(string name) =>
        CacheLayout.VersionOfLinkTarget(name, new FileInfo(PublishedPath(name)).LinkTarget);

    /// <summary>The folder of the version <c>&lt;root&gt;/&lt;name&gt;</c> points at, or null when nothing is published.</summary>
    public string? CurrentVersionPath(string name) =>
        CurrentVersion(name) is { } version ? _layout.VersionPath(name, version) : null;

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
    /// Removes every attempt and temp link (left by a killed INIT), every store version no published link points
    /// at, and the status files of <paramref name="names"/>; returns what it removed. Attempts worth resuming must
    /// have been moved aside before (<see cref="ResumeFolders.KeepKilledAttempts"/>).
    /// </summary>
    public IReadOnlyList<string> CleanRoot(IEnumerable<string> names)
    {
        var removed = new List<string>();
        foreach (var folder in new[] { _layout.StagingFolder, _layout.StoreFolder, _layout.StatusFolder })
        {
            Directory.CreateDirectory(folder);
        }

        foreach (var attempts in new DirectoryInfo(_layout.StagingFolder).EnumerateFileSystemInfos())
        {
            DeleteTree(attempts.FullName);
            removed.Add(attempts.FullName);
        }

        foreach (var entry in new DirectoryInfo(_layout.Root).EnumerateFileSystemInfos())
        {
            if (CacheLayout.IsTempLink(entry.Name) && entry.LinkTarget is not null)
            {
                entry.Delete();
                removed.Add(entry.FullName);
            }
        }

        foreach (var bundle in new DirectoryInfo(_layout.StoreFolder).EnumerateFileSystemInfos())
        {
            var current = bundle is DirectoryInfo { LinkTarget: null } ? CurrentVersion(bundle.Name) : null;
            if (current is null)
            {
                DeleteTree(bundle.FullName);
                removed.Add(bundle.FullName);
                continue;
            }

            foreach (var version in new DirectoryInfo(bundle.FullName).EnumerateFileSystemInfos().Where(v => v.Name != current))
            {
                DeleteTree(version.FullName);
                removed.Add(version.FullName);
            }
        }

        foreach (var temp in new DirectoryInfo(_layout.StatusFolder).EnumerateFiles().Where(f => CacheLayout.IsStatusTemp(f.Name)))
        {
            temp.Delete();
        }

        foreach (var name in names)
        {
            File.Delete(StatusPath(name));
        }

        return removed;
    }

    /// <summary>A new, empty folder to unpack one attempt of <paramref name="name"/> into.</summary>
    public string CreateAttempt(string name)
    {
        var path = _layout.AttemptPath(name, RandomSuffix());
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Removes the folder of <paramref name="name"/>'s attempts once none is left in it.</summary>
    public void EndAttempts(string name)
    {
        var attempts = new DirectoryInfo(_layout.AttemptsOf(name));
        if (attempts.Exists && !attempts.EnumerateFileSystemInfos().Any())
        {
            attempts.Delete();
        }
    }

    /// <summary>The manifest of what <c>&lt;root&gt;/&lt;name&gt;</c> currently points at, or null when nothing usable is published.</summary>
    public BundleManifest? ReadPublished(string name)
    {
        if (new FileInfo(PublishedPath(name)).LinkTarget is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(_layout.ManifestPath(name)), ContractJsonContext.Default.BundleManifest);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the manifest into the attempt's folder, moves it into the store and swaps the published link to it.
    /// Returns the store folder. The version it replaced stays in the store: a reader that resolved the old link a
    /// moment ago may still be opening files in it. <see cref="VersionRetention"/> removes it at the next refresh
    /// check once no process uses it, and <see cref="CleanRoot"/> at the next start.
    /// No fsync/syncfs: every reader is in the same boot (a sandbox reset kills processes, not the kernel, so the
    /// page cache survives), where rename(2) alone makes the complete folder visible at once; a lost boot is a new
    /// execution environment with an empty /tmp. Flushing a bundle of hundreds of MB would only lengthen INIT.
    /// </summary>
    public string Publish(string name, string attempt, BundleManifest manifest)
    {
        using (var stream = new FileStream(Path.Join(attempt, CacheLayout.ManifestFileName), FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, manifest, ContractJsonContext.Default.BundleManifest);
        }

        Directory.CreateDirectory(_layout.VersionsOf(name));
        var copy = 1;
        var version = CacheLayout.VersionName(manifest.Sha256, copy);
        while (Path.Exists(_layout.VersionPath(name, version)))
        {
            version = CacheLayout.VersionName(manifest.Sha256, ++copy);
        }

        var store = _layout.VersionPath(name, version);
        PosixFileSystem.Rename(attempt, store);

        var temp = _layout.TempLinkPath(name, RandomSuffix());
        File.CreateSymbolicLink(temp, CacheLayout.LinkTarget(name, version));
        PosixFileSystem.Rename(temp, PublishedPath(name));
        return store;
    }

    public void WriteStatus(BundleStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        Directory.CreateDirectory(_layout.StatusFolder);
        var temp = _layout.StatusTempPath(status.Name, RandomSuffix());
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            // No fsync: readers are in the same boot, where rename alone makes the whole file visible at once,
            // and the extension deletes status files at every start. Saves milliseconds on the reuse path.
            JsonSerializer.Serialize(stream, status, ContractJsonContext.Default.BundleStatus);
        }

        PosixFileSystem.Rename(temp, StatusPath(status.Name));
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
