using System.Globalization;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Bundles;

/// <summary>
/// SnapStart's limit on <c>/tmp</c>: Lambda accepts SnapStart only with ephemeral storage of 512 MB or less, and the
/// snapshot holds <c>/tmp</c> as INIT left it, so every bundle published at a <c>snap-start</c> INIT must fit in
/// 512 MiB less what <c>/tmp</c> already holds. <see cref="Room"/> is measured when a bundle's fetch starts (the bytes of
/// every file under the temp folder: in a new SnapStart environment that is what other extensions and bundles wrote),
/// so the check runs before the archive downloads: a zip's declared unpacked size must fit it (its central directory
/// is read first), and a tar's archive must: a compressed tar's unpacked size is unknown until it is read, and is at
/// least about its archive size, so an archive larger than the room cannot fit, while one that passes is held to the
/// room by the byte cap as it unpacks. Applies only when the cache root is inside the temp folder (with SnapStart it
/// always is: EFS is not allowed).
/// </summary>
public sealed class SnapStartSpace(string tempFolder)
{
    /// <summary>Ephemeral storage a SnapStart function may have: 512 MB, which Lambda counts as MiB.</summary>
    public const long EphemeralStorageBytes = 512L * 1024 * 1024;

    /// <summary>The folder that is <c>/tmp</c>: <c>TMPDIR</c> when it is an absolute path, else <c>/tmp</c>.</summary>
    public string TempFolder => tempFolder;

    /// <summary>For a <c>snap-start</c> INIT whose root is inside the temp folder; null otherwise.</summary>
    public static SnapStartSpace? For(CacheOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        if (options.Initialization != InitializationType.SnapStart)
        {
            return null;
        }

        var temp = environment("TMPDIR")?.Trim();
        var folder = Path.TrimEndingDirectorySeparator(!string.IsNullOrEmpty(temp) && Path.IsPathFullyQualified(temp) ? temp : "/tmp");
        var root = Path.TrimEndingDirectorySeparator(options.Root);
        return root.StartsWith(folder + "/", StringComparison.Ordinal) ? new SnapStartSpace(folder) : null;
    }

    /// <summary>What a bundle may take now: the limit less the bytes in the temp folder and <paramref name="reserve"/>.</summary>
    public SpaceRoom Room(long reserve)
    {
        var used = UsedBytes();
        return new SpaceRoom(Math.Max(0, EphemeralStorageBytes - used - reserve), used, this);
    }

    /// <summary>Bytes of every regular file under the temp folder (links are not followed; unreadable folders are skipped).</summary>
    public long UsedBytes()
    {
        if (!Directory.Exists(tempFolder))
        {
            return 0;
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
        };
        long total = 0;
        foreach (var file in new DirectoryInfo(tempFolder).EnumerateFiles("*", options))
        {
            try
            {
                total += file.Length;
            }
            catch (IOException)
            {
                // Removed while counting.
            }
        }

        return total;
    }

    /// <summary>The room left under SnapStart's limit when a fetch started, and how the messages name it.</summary>
    public sealed record SpaceRoom(long Bytes, long UsedBytes, SnapStartSpace Space)
    {
        /// <summary>Names the limit in messages (the byte cap's origin).</summary>
        public string Origin =>
            string.Create(
                CultureInfo.InvariantCulture,
                $"SnapStart's /tmp: ephemeral storage is at most 512 MB ({EphemeralStorageBytes} bytes) with SnapStart, and {UsedBytes} bytes of {Space.TempFolder} are in use, so the bundle cannot fit in the snapshot");

        /// <summary>
        /// Refuses a tar whose archive alone is larger than the room, before it downloads: its unpacked size is at least
        /// about its archive size.
        /// </summary>
        public void CheckTar(string source, string format, long archiveBytes)
        {
            if (archiveBytes > Bytes)
            {
                throw new BundleException(
                    FailureKind.BundleTooLarge,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{source} is a {archiveBytes}-byte {format} archive, and a tar unpacks to at least about its archive size: more than the {Bytes} bytes left ({Origin}); make the bundle smaller, or do without SnapStart (ephemeral storage up to 10,240 MB)"));
            }
        }
    }
}
