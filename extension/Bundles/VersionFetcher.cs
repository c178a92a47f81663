using System.Collections.Concurrent;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Logging;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Bundles;

/// <summary>
/// What one fetch of a new version is given: the bundle, its source and the probe's answer, the trees it may take
/// entries from and whether a later attempt could reuse this one's files (<see cref="ReuseDecision.Bases"/>), the
/// budget its requests retry within, and at a <c>snap-start</c> INIT the space the snapshot's <c>/tmp</c> leaves
/// (<see cref="SnapStartSpace"/>). The fetch disposes the trees when it ends. INIT and a refresh check differ only in these (and in what a failure means to them,
/// which is theirs to decide).
/// </summary>
public sealed record FetchRequest(
    BundleSpec Bundle,
    IBundleSource Source,
    SourceInfo Info,
    IReadOnlyList<ExistingTree> Bases,
    bool Resumable,
    FetchBudget Budget,
    SnapStartSpace? Space = null);

/// <summary>How far a fetch still running has got: archive bytes read of the total, files and bytes written.</summary>
public sealed record FetchProgress(string Bundle, long ArchiveBytes, long ReadBytes, long Files, long Bytes);

/// <summary>
/// Fetches a new version of one bundle and publishes it, the one path INIT and refresh share: the archive streams from
/// the source through the extractor into a new attempt folder (the archive itself never touches the disk), a full
/// fetch reading every byte once (<see cref="ParallelRangeStream"/>), a delta or a resume only the entries not already
/// on disk (<see cref="RangeSetStream"/> over the extractor's <see cref="ReusePlan"/>); then it verifies, publishes by
/// the atomic link swap and writes the ready status. When it fails, the attempt's complete files are kept for the next
/// attempt if that one may get past the failure (<see cref="FailureKinds.NextAttemptMayPass"/>, or a cancellation),
/// else removed; either way nothing is published and the exception goes to the caller.
/// </summary>
public sealed class VersionFetcher(
    Publisher publisher, StatusFiles statuses, ResumeFolders resume, CacheLimits limits, LifecycleLog log, TimeProvider time, InFlightController inFlight)
{
    /// <summary>Kept free in the cache root beyond the bundle, for the manifest and the status files.</summary>
    private const long FreeSpaceReserve = 1024 * 1024;

    private readonly ConcurrentDictionary<string, Func<FetchProgress>> _running = new(StringComparer.Ordinal);

    /// <summary>The fetches running now and how far each has got.</summary>
    public IReadOnlyList<FetchProgress> Running => [.. _running.Values.Select(p => p())];

    public async Task<BundleResult> FetchAsync(FetchRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (bundle, source, info, _, resumable, _, _) = request;
        if (info.Length == 0)
        {
            throw new BundleException(FailureKind.BundleIntegrity, $"{source.DisplayName} is empty (0 bytes), not a {FormatNames.Of(bundle.Format)} archive");
        }

        var attempt = publisher.CreateAttempt(bundle.Name);
        try
        {
            var result = await FetchIntoAsync(request, attempt, ct).ConfigureAwait(false);
            resume.Discard(bundle.Name);
            return result;
        }
        catch (Exception ex)
        {
            Stop(bundle.Name, attempt, resumable, ex);
            throw;
        }
        finally
        {
            _running.TryRemove(bundle.Name, out _);
            publisher.EndAttempts(bundle.Name);
            foreach (var tree in request.Bases)
            {
                tree.Dispose();
            }
        }
    }

    /// <summary>
    /// Keeps a stopped attempt's files for the next attempt, or removes them when that one could not use them (a tar,
    /// a pinned bundle) or would fail the same way.
    /// </summary>
    private void Stop(string name, string attempt, bool resumable, Exception ex)
    {
        var kind = ex is OperationCanceledException ? (FailureKind?)null : FailureKinds.Classify(ex).Kind;
        if (resumable && (kind is null || kind.Value.NextAttemptMayPass()))
        {
            var why = kind is null ? "stopped (shutdown or cancelled)" : $"failed with {kind.Value.ErrorType()}";
            if (resume.Keep(name, attempt, why))
            {
                return;
            }
        }

        try
        {
            Publisher.DeleteTree(attempt);
        }
        catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
        {
            log.Error("could not remove a failed attempt", ("bundle", name), ("path", attempt), ("error", cleanup.Message));
        }
    }

    private async Task<BundleResult> FetchIntoAsync(FetchRequest request, string attempt, CancellationToken ct)
    {
        var (bundle, source, info, bases, _, budget, space) = request;
        var root = publisher.Root;
        var free = new DriveInfo(attempt).AvailableFreeSpace - FreeSpaceReserve;
        var maxBytes = Math.Min(limits.MaxUnpackedBytes, Math.Max(0, free));
        var origin = $"the unpacked-size cap of {limits.MaxUnpackedBytes} or the free space in {root}";
        if (space?.Room(FreeSpaceReserve) is { } room)
        {
            // SnapStart: checked before the archive downloads (a zip's declared size against the cap when it opens).
            if (bundle.Format != BundleFormat.Zip)
            {
                room.CheckTar(source.DisplayName, FormatNames.Of(bundle.Format), info.Length);
            }

            if (room.Bytes < maxBytes)
            {
                (maxBytes, origin) = (room.Bytes, room.Origin);
            }
        }

        var caps = new ExtractionCaps(maxBytes, limits.MaxEntries, origin);
        using var target = new ExtractionTarget(attempt, caps, readOnlyFiles: bundle.Format == BundleFormat.Zip);
        var retry = new RetryPolicy(time, budget: budget, inFlight: inFlight);
        var started = time.GetTimestamp();
        var extractor = await ArchiveExtractor.OpenAsync(bundle, source, info, caps, retry, ct).ConfigureAwait(false);
        var plan = bases.Count > 0 ? extractor.PlanReuse(bases, limits.Workers) : null;

        string sha;
        TimeSpan download;
        long downloaded;
        if (plan is null)
        {
            // A full fetch: every byte once, the tail the extractor already read (a zip's central directory) from memory.
            var whole = info with { Tail = extractor.KnownTail };
            var stream = new ParallelRangeStream(source, whole, limits.PartSizeBytes, limits.Concurrency, retry, ct);
            await using (stream.ConfigureAwait(false))
            {
                _running[bundle.Name] = () => new FetchProgress(bundle.Name, info.Length, stream.Position, target.Files, target.Bytes);
                await extractor.ExtractAsync(stream, null, target, limits.Workers, ct).ConfigureAwait(false);
                sha = Convert.ToHexStringLower(await stream.DrainAndHashAsync(ct).ConfigureAwait(false));
                download = stream.DownloadTime;
            }

            downloaded = info.Length;
        }
        else
        {
            // A delta or a resume: only the entries not already on disk are fetched (docs/delta.md).
            var stream = new RangeSetStream(source, info, plan.Ranges, limits.PartSizeBytes, limits.Concurrency, retry, ct);
            await using (stream.ConfigureAwait(false))
            {
                _running[bundle.Name] = () => new FetchProgress(bundle.Name, info.Length, stream.Position, target.Files, target.Bytes);
                await extractor.ExtractAsync(stream, plan, target, limits.Workers, ct).ConfigureAwait(false);
                download = stream.DownloadTime;

                // The central directory was read too, with the probe.
                downloaded = info.Length - Math.Max(0, plan.DataBytes - stream.FetchedBytes);
                log.Info(
                    "delta",
                    ("bundle", bundle.Name),
                    ("from", string.Join('+', bases.Select(t => t.IsPublished ? "published" : "resume"))),
                    ("reusedFiles", plan.ReusedEntries),
                    ("reusedBytes", plan.ReusedBytes),
                    ("fetchedEntries", plan.FetchedEntries),
                    ("requests", stream.Requests),
                    ("fetchedBytes", stream.FetchedBytes),
                    ("savedBytes", info.Length - downloaded));
            }

            sha = plan.TreeHash;
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
            FormatNames.Of(bundle.Format),
            target.Files,
            target.Directories,
            target.Symlinks,
            target.Bytes,
            downloadMs,
            unpackMs,
            time.GetUtcNow());
        var store = publisher.Publish(bundle.Name, attempt, manifest);
        var path = publisher.PublishedPath(bundle.Name);
        statuses.Ready(bundle.Name, manifest, reused: false, manifest.PublishedAt);
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
        var saved = info.Length - downloaded;
        return new BundleResult(bundle.Name, path, false, plan is null ? "downloaded" : "delta", info.VersionId, sha, target.Files, target.Bytes, downloadMs, unpackMs, DownloadedBytes: downloaded)
        {
            DeltaBytesSaved = saved,
            DeltaFilesReused = plan?.ReusedEntries ?? 0,
        };
    }
}
