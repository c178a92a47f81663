using System.Diagnostics.CodeAnalysis;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Logging;
using ExtensionCache.Extension.Publishing;

namespace ExtensionCache.Extension.Bundles;

/// <summary>
/// Files of a stopped attempt, kept for the next attempt of the same bundle (<c>&lt;root&gt;/.resume/&lt;name&gt;</c>,
/// see docs/delta.md): an attempt killed with its INIT (found in <c>.staging</c> at the next start), or one that
/// stopped on SHUTDOWN or on a failure the next attempt can get past. The next fetch of a zip hard-links every file
/// in it whose size and CRC-32 match the new archive's entry, and fetches only the rest.
/// </summary>
public sealed class ResumeFolders(string root, LifecycleLog log)
{
    private readonly CacheLayout _layout = new(root);

    /// <summary>
    /// At start, before the root is cleaned: moves the newest attempt of each configured bundle aside for a resume,
    /// and drops the resume folders of bundles no longer configured.
    /// </summary>
    public void KeepKilledAttempts(IReadOnlyList<BundleSpec> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        var names = bundles.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        if (Directory.Exists(_layout.ResumeFolder))
        {
            foreach (var stale in new DirectoryInfo(_layout.ResumeFolder).EnumerateFileSystemInfos().Where(d => !names.Contains(d.Name)))
            {
                Publisher.DeleteTree(stale.FullName);
            }
        }

        foreach (var name in names)
        {
            var attempts = new DirectoryInfo(_layout.AttemptsOf(name));
            if (attempts.Exists && attempts.EnumerateDirectories().Where(d => d.LinkTarget is null).MaxBy(d => d.LastWriteTimeUtc) is { } killed)
            {
                Keep(name, killed.FullName, "an earlier attempt was killed");
            }
        }
    }

    /// <summary>The resume folder of <paramref name="name"/>, or null when there is none.</summary>
    public string? Find(string name) => Directory.Exists(_layout.ResumePath(name)) ? _layout.ResumePath(name) : null;

    /// <summary>Removes the resume folder of <paramref name="name"/> (published, reused, or unusable for it).</summary>
    public void Discard(string name) => Publisher.DeleteTree(_layout.ResumePath(name));

    /// <summary>
    /// Moves <paramref name="attempt"/> to the resume folder of <paramref name="name"/>, replacing an older one (whose
    /// usable files the attempt already linked in). Returns false, leaving the attempt where it is, when that fails.
    /// </summary>
    [SuppressMessage("Design", "CA1031", Justification = "A resume is an optimisation: failing to keep one must not hide the failure being handled.")]
    public bool Keep(string name, string attempt, string why)
    {
        try
        {
            var (files, bytes) = Footprint(attempt);
            var resume = _layout.ResumePath(name);
            Publisher.DeleteTree(resume);
            Directory.CreateDirectory(_layout.ResumeFolder);
            Directory.Move(attempt, resume);
            log.Info("keeping files for the next attempt", ("bundle", name), ("why", why), ("files", files), ("bytes", bytes), ("path", resume));
            return true;
        }
        catch (Exception ex)
        {
            log.Warn("could not keep files for the next attempt", ("bundle", name), ("error", ex.Message));
            return false;
        }
    }

    /// <summary>Regular files under <paramref name="folder"/> and their bytes (links not followed).</summary>
    private static (long Files, long Bytes) Footprint(string folder)
    {
        long files = 0, bytes = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", options))
        {
            files++;
            bytes += file.Length;
        }

        return (files, bytes);
    }
}
