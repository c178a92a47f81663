using System.Diagnostics.CodeAnalysis;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Logging;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension;

/// <summary>
/// The per-bundle pipeline: reuse what is published when it still matches its source, else stream the archive
/// from the source through the extractor into a staging folder (the archive itself never touches the disk),
/// verify it, publish it atomically, and record the outcome in the bundle's status file.
/// </summary>
public sealed class BundleCache(string root, CacheLimits limits, LifecycleLog log, IBundleSourceFactory sources, TimeProvider time, FetchDeadline? deadline = null)
{
    /// <summary>Kept free in the cache root beyond the bundle, for the manifest and the status files.</summary>
    private const long FreeSpaceReserve = 1024 * 1024;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private static readonly string[] ReservedNames = [Publisher.StagingFolder, Publisher.StoreFolder, Publisher.StatusFolder];

    /// <summary>Per bundle, the staging folder of an attempt that was killed or cancelled, kept for a resume.</summary>
    private const string ResumeFolder = ".resume";

    private readonly Publisher _publisher = new(root);
    private readonly RetryPolicy _retry = new(time, deadline: deadline);

    /// <summary>
    /// Removes stale staging folders and store versions no published link references, and deletes the status
    /// file of each bundle. Call once at start, before register.
    /// </summary>
    public void PrepareRoot(IReadOnlyList<BundleSpec> bundles)
    {
        KeepKilledStaging(bundles);
        var removed = _publisher.CleanRoot(bundles.Select(b => b.Name));
        foreach (var path in removed)
        {
            log.Debug("removed stale cache entry", ("path", path));
        }

        if (removed.Count > 0)
        {
            log.Info("cleaned cache root", ("root", root), ("removed", removed.Count));
        }
    }

    /// <summary>
    /// Reuses or fetches, unpacks, verifies and publishes one bundle, and writes its status file. On failure the
    /// status says failed, staging is removed, nothing is published, and a <see cref="BundleException"/> is thrown.
    /// </summary>
    public async Task<BundleResult> PrepareAsync(BundleSpec bundle, CancellationToken ct)
    {
        string? staging = null;
        try
        {
            if (ReservedNames.Contains(bundle.Name, StringComparer.Ordinal))
            {
                throw new BundleException(FailureKind.BundleUnsupported, $"the name '{bundle.Name}' is reserved by the cache root layout");
            }

            var source = sources.Create(bundle);
            var published = _publisher.ReadPublished(bundle.Name);
            SourceInfo? info = null;
            if (published is not null && published.Source == bundle.DisplaySource)
            {
                if (bundle.Sha256 is { } pin)
                {
                    if (string.Equals(pin, published.Sha256, StringComparison.OrdinalIgnoreCase))
                    {
                        return Reused(bundle, published, "sha256 pin equals the published manifest's sha256 (no network call)", null);
                    }

                    log.Info("not reusing", ("bundle", bundle.Name), ("reason", "sha256 pin differs from the published manifest's sha256"));
                }
                else
                {
                    info = await ProbeAsync(source, ct).ConfigureAwait(false);
                    if (info.VersionId.Length > 0 && info.VersionId == published.Version)
                    {
                        return Reused(bundle, published, $"source version {info.VersionId} equals the published manifest's version", time.GetUtcNow());
                    }

                    log.Info("not reusing", ("bundle", bundle.Name), ("reason", $"source version {info.VersionId} differs from published {published.Version}"));
                }
            }
            else
            {
                log.Info(
                    "not reusing",
                    ("bundle", bundle.Name),
                    ("reason", published is null ? "nothing usable is published" : $"published from another source ({published.Source})"));
            }

            info ??= await ProbeAsync(source, ct).ConfigureAwait(false);
            var existing = ExistingTrees(bundle, published);
            log.Info("fetching", ("bundle", bundle.Name), ("source", source.DisplayName), ("version", info.VersionId), ("bytes", info.Length), ("format", FormatName(bundle.Format)));
            staging = _publisher.CreateStaging(bundle.Name);
            var result = await FetchAndPublishAsync(bundle, source, info, staging, existing, ct).ConfigureAwait(false);
            staging = null;
            Publisher.DeleteTree(ResumePath(bundle.Name));
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var error = (ex as BundleException ?? Classify(ex)).ForBundle(bundle.Name);
            Fail(bundle, staging, error.Kind, error.Message);
            throw error;
        }
        catch (OperationCanceledException)
        {
            staging = KeepForResume(bundle.Name, staging);
            Fail(bundle, staging, FailureKind.BundleFetchFailed, FailureKinds.ForBundle(bundle.Name, "cancelled (shutdown or deadline)"));
            throw;
        }
    }

    /// <summary>
    /// One refresh check of a bundle INIT prepared: a conditional probe; when the source changed, the new version
    /// is fetched into staging and published by the same atomic swap. Old versions no process uses are removed
    /// before the download (<see cref="VersionRetention"/>). A failure never touches what is published: the status
    /// says <c>stale</c> (or stays <c>failed</c> when nothing is published) with the cause, and is returned, not thrown.
    /// </summary>
    public async Task<RefreshOutcome> RefreshAsync(BundleSpec bundle, CancellationToken ct)
    {
        string? staging = null;
        var published = _publisher.ReadPublished(bundle.Name);
        if (published is not null && published.Source != bundle.DisplaySource)
        {
            published = null;
        }

        try
        {
            var source = sources.Create(bundle);
            if (published is not null && await IsUnchangedAsync(source, published.Version, ct).ConfigureAwait(false))
            {
                log.Debug("refresh checked", ("bundle", bundle.Name), ("version", published.Version), ("changed", false));
                WriteCheckedStatus(bundle, published);
                return RefreshOutcome.Unchanged;
            }

            var info = await ProbeAsync(source, ct).ConfigureAwait(false);
            if (published is not null && info.VersionId.Length > 0 && info.VersionId == published.Version)
            {
                WriteCheckedStatus(bundle, published);
                return RefreshOutcome.Unchanged;
            }

            foreach (var removed in _publisher.Retention.RemoveUnused(bundle.Name, _publisher.CurrentVersion(bundle.Name)))
            {
                log.Info("removed old version", ("bundle", bundle.Name), ("store", removed));
            }

            log.Info("refreshing", ("bundle", bundle.Name), ("from", published?.Version), ("to", info.VersionId), ("bytes", info.Length));
            var existing = ExistingTrees(bundle, published);
            staging = _publisher.CreateStaging(bundle.Name);
            var result = await FetchAndPublishAsync(bundle, source, info, staging, existing, ct).ConfigureAwait(false);
            staging = null;
            Publisher.DeleteTree(ResumePath(bundle.Name));
            return new RefreshOutcome(result, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var error = (ex as BundleException ?? Classify(ex)).ForBundle(bundle.Name);
            KeepStale(bundle, staging, published, error);
            return new RefreshOutcome(null, error);
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the published version is untouched; the half-written staging is kept for a resume.
            staging = KeepForResume(bundle.Name, staging);
            if (staging is not null)
            {
                Publisher.DeleteTree(staging);
            }

            throw;
        }
    }

    private async Task<bool> IsUnchangedAsync(IBundleSource source, string version, CancellationToken ct) =>
        await _retry.ExecuteAsync(
            async (_, token) =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(ProbeTimeout);
                return await source.IsUnchangedAsync(version, timeout.Token).ConfigureAwait(false);
            },
            $"check {source.DisplayName}",
            ct).ConfigureAwait(false);

    private void WriteCheckedStatus(BundleSpec bundle, BundleManifest published)
    {
        var previous = _publisher.ReadStatus(bundle.Name);
        _publisher.WriteStatus(new BundleStatus(
            bundle.Name,
            BundleStatus.Ready,
            _publisher.PublishedPath(bundle.Name),
            previous?.Reused ?? false,
            null,
            null,
            published.Version,
            published.PublishedAt,
            time.GetUtcNow()));
    }

    [SuppressMessage("Design", "CA1031", Justification = "Cleanup after a failed refresh must not hide the failure itself.")]
    private void KeepStale(BundleSpec bundle, string? staging, BundleManifest? published, BundleException error)
    {
        var errorType = error.Kind.ErrorType();
        log.Warn(
            "refresh failed, keeping the published version",
            ("bundle", bundle.Name),
            ("status", published is null ? BundleStatus.Failed : BundleStatus.Stale),
            ("version", published?.Version),
            ("errorType", errorType),
            ("error", error.Message));
        try
        {
            if (staging is not null)
            {
                Publisher.DeleteTree(staging);
            }

            _publisher.WriteStatus(published is null
                ? new BundleStatus(bundle.Name, BundleStatus.Failed, null, false, errorType, error.Message, CheckedAt: time.GetUtcNow())
                : new BundleStatus(
                    bundle.Name,
                    BundleStatus.Stale,
                    _publisher.PublishedPath(bundle.Name),
                    _publisher.ReadStatus(bundle.Name)?.Reused ?? false,
                    errorType,
                    error.Message,
                    published.Version,
                    published.PublishedAt,
                    time.GetUtcNow()));
        }
        catch (Exception cleanup)
        {
            log.Error("cleanup after failed refresh failed", ("bundle", bundle.Name), ("error", cleanup.Message));
        }
    }

    private static BundleException Classify(Exception ex) => ex switch
    {
        IOException io when DiskFull.Is(io) => DiskFull.Failure($"no space left in the cache root: {io.Message}", io),
        IOException or UnauthorizedAccessException =>
            new BundleException(FailureKind.BundlePublishFailed, $"file system error in the cache root: {ex.Message}", ex),
        _ => new BundleException(FailureKind.BundleFetchFailed, $"{ex.GetType().Name}: {ex.Message}", ex),
    };

    [SuppressMessage("Design", "CA1031", Justification = "Cleanup after a failure must not hide the failure itself.")]
    private void Fail(BundleSpec bundle, string? staging, FailureKind kind, string message)
    {
        var errorType = kind.ErrorType();
        log.Error("bundle failed", ("bundle", bundle.Name), ("errorType", errorType), ("error", message));
        try
        {
            if (staging is not null)
            {
                Publisher.DeleteTree(staging);
            }

            _publisher.WriteStatus(new BundleStatus(bundle.Name, BundleStatus.Failed, null, false, errorType, message));
        }
        catch (Exception cleanup)
        {
            log.Error("cleanup after failure failed", ("bundle", bundle.Name), ("error", cleanup.Message));
        }
    }

    private async Task<SourceInfo> ProbeAsync(IBundleSource source, CancellationToken ct) =>
        await _retry.ExecuteAsync(
            async (_, token) =>
            {
                // A probe that hangs (a frozen connection) is retried, not waited on.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(ProbeTimeout);
                return await source.ProbeAsync(timeout.Token).ConfigureAwait(false);
            },
            $"probe {source.DisplayName}",
            ct).ConfigureAwait(false);

    private BundleResult Reused(BundleSpec bundle, BundleManifest manifest, string reason, DateTimeOffset? checkedAt)
    {
        var path = _publisher.PublishedPath(bundle.Name);
        Publisher.DeleteTree(ResumePath(bundle.Name));
        log.Info("reusing", ("bundle", bundle.Name), ("path", path), ("version", manifest.Version), ("reason", reason));
        _publisher.WriteStatus(new BundleStatus(bundle.Name, BundleStatus.Ready, path, true, null, null, manifest.Version, manifest.PublishedAt, checkedAt));
        return new BundleResult(bundle.Name, path, true, reason, manifest.Version, manifest.Sha256, manifest.Files, manifest.Bytes, 0, 0);
    }

    private string ResumePath(string name) => Path.Join(root, ResumeFolder, name);

    /// <summary>
    /// Moves each bundle's newest staging folder (left by an INIT killed at its time limit, or a crash) to
    /// <c>.resume/&lt;name&gt;</c> before the root is cleaned, so its verified files are not fetched again; drops
    /// resume folders of bundles no longer configured.
    /// </summary>
    private void KeepKilledStaging(IReadOnlyList<BundleSpec> bundles)
    {
        var stagingRoot = Path.Join(root, Publisher.StagingFolder);
        var resumeRoot = Path.Join(root, ResumeFolder);
        var names = bundles.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        if (Directory.Exists(resumeRoot))
        {
            foreach (var stale in new DirectoryInfo(resumeRoot).EnumerateFileSystemInfos().Where(d => !names.Contains(d.Name)))
            {
                Publisher.DeleteTree(stale.FullName);
            }
        }

        if (!Directory.Exists(stagingRoot))
        {
            return;
        }

        // A staging folder is "<name>-<random>", the random part without '-'.
        var newest = new DirectoryInfo(stagingRoot).EnumerateDirectories()
            .Where(d => d.LinkTarget is null && d.Name.LastIndexOf('-') > 0 && names.Contains(d.Name[..d.Name.LastIndexOf('-')]))
            .GroupBy(d => d.Name[..d.Name.LastIndexOf('-')], StringComparer.Ordinal)
            .Select(g => g.MaxBy(d => d.LastWriteTimeUtc)!);
        foreach (var killed in newest)
        {
            var name = killed.Name[..killed.Name.LastIndexOf('-')];
            KeepForResume(name, killed.FullName);
            log.Info("keeping a killed attempt's files for a resume", ("bundle", name), ("path", ResumePath(name)));
        }
    }

    /// <summary>Moves <paramref name="staging"/> to the bundle's resume folder (replacing an older one); returns null, as the staging is gone.</summary>
    [SuppressMessage("Design", "CA1031", Justification = "A resume is an optimisation: failing to keep one must not hide the failure being handled.")]
    private string? KeepForResume(string name, string? staging)
    {
        if (staging is null)
        {
            return null;
        }

        try
        {
            var resume = ResumePath(name);
            Publisher.DeleteTree(resume);
            Directory.CreateDirectory(Path.Join(root, ResumeFolder));
            Directory.Move(staging, resume);
            return null;
        }
        catch (Exception ex)
        {
            log.Debug("could not keep the staging folder for a resume", ("bundle", name), ("error", ex.Message));
            return staging;
        }
    }

    /// <summary>
    /// What a zip fetch may reuse instead of downloading: the published version (a delta update) and a killed
    /// attempt's files (a resume). Logs why there is none where a delta or resume cannot apply.
    /// </summary>
    private List<ExistingTree> ExistingTrees(BundleSpec bundle, BundleManifest? published)
    {
        var trees = new List<ExistingTree>();
        var resume = ResumePath(bundle.Name);
        string? why = null;
        if (bundle.Format != BundleFormat.Zip)
        {
            why = "a tar archive has no index to compare entries by, so it is read whole";
        }
        else if (bundle.Sha256 is not null)
        {
            why = "the sha256 pin covers the whole archive, which can only be verified by downloading all of it";
        }
        else if (published is not null && published.Source != bundle.DisplaySource)
        {
            why = "the published version comes from a different source";
        }
        else if (published is not null && published.Format != FormatName(BundleFormat.Zip))
        {
            why = "the published version is not a zip";
        }
        else if (published is not null)
        {
            var version = new DirectoryInfo(_publisher.PublishedPath(bundle.Name)).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (version is not null && ExistingTree.Published(version) is { } tree)
            {
                trees.Add(tree);
            }
            else
            {
                why = "the published version has no entry index";
            }
        }

        if (bundle.Format == BundleFormat.Zip && bundle.Sha256 is null && Directory.Exists(resume))
        {
            trees.Add(ExistingTree.Partial(resume));
        }
        else if (Directory.Exists(resume))
        {
            Publisher.DeleteTree(resume);
        }

        if (why is not null && published is not null)
        {
            log.Info("full fetch, no delta", ("bundle", bundle.Name), ("reason", why));
        }

        return trees;
    }

    private async Task<BundleResult> FetchAndPublishAsync(
        BundleSpec bundle, IBundleSource source, SourceInfo info, string staging, List<ExistingTree> existing, CancellationToken ct)
    {
        var free = new DriveInfo(staging).AvailableFreeSpace - FreeSpaceReserve;
        var caps = new ExtractionCaps(
            Math.Min(limits.MaxUnpackedBytes, Math.Max(0, free)),
            limits.MaxEntries,
            $"the unpacked-size cap of {limits.MaxUnpackedBytes} or the free space in {root}");
        var target = new ExtractionTarget(staging, caps, readOnlyFiles: bundle.Format == BundleFormat.Zip);
        var started = time.GetTimestamp();
        byte[] sha256;
        TimeSpan download;
        if (info.Length == 0)
        {
            throw new BundleException(FailureKind.BundleIntegrity, $"{source.DisplayName} is empty (0 bytes), not a {FormatName(bundle.Format)} archive");
        }

        var extractor = await ArchiveExtractor.OpenAsync(bundle, source, info, caps, _retry, ct).ConfigureAwait(false);
        var plan = existing.Count > 0 && extractor is ZipStreamExtractor zip ? zip.PlanReuse(existing, limits.Workers) : null;
        string sha;
        long saved = 0;
        if (plan is not null)
        {
            // A delta or resume: only the entries not already on disk are fetched (see docs/delta.md).
            var ranged = new RangeSetStream(source, info, plan.Ranges, limits.PartSizeBytes, limits.Concurrency, _retry, ct);
            await using (ranged.ConfigureAwait(false))
            {
                await extractor.ExtractAsync(ranged, target, limits.Workers, ct).ConfigureAwait(false);
                download = ranged.DownloadTime;
                saved = Math.Max(0, ((ZipStreamExtractor)extractor).CentralDirectoryOffset - ranged.FetchedBytes);
                log.Info(
                    "delta",
                    ("bundle", bundle.Name),
                    ("from", string.Join('+', existing.Select(t => t.IsPublished ? "published" : "resume"))),
                    ("reusedFiles", plan.ReusedEntries),
                    ("fetchedEntries", plan.FetchedEntries),
                    ("requests", ranged.Requests),
                    ("fetchedBytes", ranged.FetchedBytes),
                    ("savedBytes", saved));
            }

            sha = plan.TreeHash;
        }
        else
        {
            var stream = new ParallelRangeStream(source, info, limits.PartSizeBytes, limits.Concurrency, _retry, time, ct);
            await using (stream.ConfigureAwait(false))
            {
                await extractor.ExtractAsync(stream, target, limits.Workers, ct).ConfigureAwait(false);
                sha256 = await stream.DrainAndHashAsync(ct).ConfigureAwait(false);
                download = stream.DownloadTime;
            }

            sha = Convert.ToHexStringLower(sha256);
        }

        var unpackMs = (long)time.GetElapsedTime(started).TotalMilliseconds;
        var downloadMs = (long)download.TotalMilliseconds;
        if (bundle.Sha256 is { } pin && !string.Equals(pin, sha, StringComparison.OrdinalIgnoreCase))
        {
            throw new BundleException(
                FailureKind.BundleIntegrity,
                $"sha256 mismatch for {source.DisplayName}: the pin is {pin}, the downloaded archive is {sha}");
        }

        var manifest = new BundleManifest(
            bundle.Name,
            bundle.DisplaySource,
            info.VersionId,
            sha,
            FormatName(bundle.Format),
            target.Files,
            target.Directories,
            target.Symlinks,
            target.Bytes,
            downloadMs,
            unpackMs,
            time.GetUtcNow());
        var store = _publisher.Publish(bundle.Name, staging, manifest);
        var path = _publisher.PublishedPath(bundle.Name);
        _publisher.WriteStatus(new BundleStatus(bundle.Name, BundleStatus.Ready, path, false, null, null, manifest.Version, manifest.PublishedAt, manifest.PublishedAt));
        var seconds = Math.Max(unpackMs, 1) / 1000.0;
        log.Info(
            "published",
            ("bundle", bundle.Name),
            ("path", path),
            ("store", store),
            ("source", source.DisplayName),
            ("version", info.VersionId),
            ("sha256", sha),
            ("archiveBytes", info.Length),
            ("bytes", target.Bytes),
            ("files", target.Files),
            ("downloadMs", downloadMs),
            ("unpackMs", unpackMs),
            ("MBps", Math.Round(info.Length / 1e6 / seconds, 1)));
        return new BundleResult(bundle.Name, path, false, plan is null ? "downloaded" : "delta", info.VersionId, sha, target.Files, target.Bytes, downloadMs, unpackMs, DownloadedBytes: info.Length - saved)
        {
            DeltaBytesSaved = saved,
            DeltaFilesReused = plan?.ReusedEntries ?? 0,
        };
    }

    private static string FormatName(BundleFormat format) => format switch
    {
        BundleFormat.Zip => "zip",
        BundleFormat.TarGz => "tar.gz",
        BundleFormat.TarZst => "tar.zst",
        _ => format.ToString(),
    };
}
