using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Logging;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Bundles;

/// <summary>
/// One bundle's life in the cache root, at INIT (<see cref="PrepareAsync"/>) and at each refresh check
/// (<see cref="RefreshAsync"/>): decide whether what is published still serves (<see cref="ReuseDecision"/>), else
/// fetch a new version (<see cref="VersionFetcher"/>, the same path for both, given an unbounded budget at INIT and a
/// refresh check's budget later) and record the outcome (<see cref="StatusFiles"/>). A failure at INIT leaves the
/// bundle failed and is thrown; a failed refresh leaves the published version serving, stale, and is returned.
/// </summary>
public sealed class BundleCache
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private readonly LifecycleLog _log;
    private readonly IBundleSourceFactory _sources;
    private readonly TimeProvider _time;
    private readonly SandboxClock _clock;
    private readonly Publisher _publisher;
    private readonly StatusFiles _statuses;
    private readonly ResumeFolders _resume;
    private readonly VersionFetcher _fetcher;
    private readonly InFlightController _inFlight = new();
    private readonly TimeSpan _refreshBudget;
    private readonly SnapStartSpace? _snapStart;

    /// <param name="clock">The sandbox's running time, which refresh budgets count (see <see cref="SandboxClock"/>).</param>
    /// <param name="refreshBudget">The running time one refresh check may take; <see cref="FetchBudget.RefreshCheck"/> by default.</param>
    /// <param name="snapStart">At a <c>snap-start</c> INIT: the room the snapshot's /tmp leaves, checked before each INIT download.</param>
    public BundleCache(
        string root,
        CacheLimits limits,
        LifecycleLog log,
        IBundleSourceFactory sources,
        TimeProvider time,
        SandboxClock? clock = null,
        TimeSpan? refreshBudget = null,
        SnapStartSpace? snapStart = null)
    {
        _refreshBudget = refreshBudget ?? FetchBudget.RefreshCheck;
        _snapStart = snapStart;
        _log = log;
        _sources = sources;
        _time = time;
        _clock = clock ?? new SandboxClock(time);
        _publisher = new Publisher(root);
        _statuses = new StatusFiles(_publisher, time);
        _resume = new ResumeFolders(root, log);
        _fetcher = new VersionFetcher(_publisher, _statuses, _resume, limits, log, time, _inFlight);
    }

    /// <summary>The fetches running now and how far each has got (for the log line at the INIT limit).</summary>
    public IReadOnlyList<FetchProgress> Running => _fetcher.Running;

    /// <summary>
    /// Once at start, before register: keeps each bundle's killed attempt for a resume, then removes stale attempts,
    /// store versions no published link references, and every bundle's status file.
    /// </summary>
    public void PrepareRoot(IReadOnlyList<BundleSpec> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        Directory.CreateDirectory(_publisher.Root);
        _resume.KeepKilledAttempts(bundles);
        var removed = _publisher.CleanRoot(bundles.Select(b => b.Name));
        foreach (var path in removed)
        {
            _log.Debug("removed stale cache entry", ("path", path));
        }

        if (removed.Count > 0)
        {
            _log.Info("cleaned cache root", ("root", _publisher.Root), ("removed", removed.Count));
        }
    }

    /// <summary>
    /// INIT: reuses or fetches, unpacks, verifies and publishes one bundle, and writes its status file. On failure the
    /// status says failed, nothing is published, and a <see cref="BundleException"/> is thrown.
    /// </summary>
    public async Task<BundleResult> PrepareAsync(BundleSpec bundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        try
        {
            var source = _sources.Create(bundle);
            var retry = new RetryPolicy(_time, budget: FetchBudget.Unbounded(_clock), inFlight: _inFlight);
            var published = _publisher.ReadPublished(bundle.Name);
            var decision = await ReuseDecision.AtInitAsync(bundle, published, () => ProbeAsync(source, retry, ct)).ConfigureAwait(false);
            if (decision.Reuse)
            {
                return Reused(bundle, published!, decision, checkedAt: decision.Probe is null ? null : _time.GetUtcNow());
            }

            _log.Info("not reusing", ("bundle", bundle.Name), ("reason", decision.Reason));
            var info = decision.Probe ?? await ProbeAsync(source, retry, ct).ConfigureAwait(false);
            _log.Info("fetching", ("bundle", bundle.Name), ("source", source.DisplayName), ("version", info.VersionId), ("bytes", info.Length), ("format", FormatNames.Of(bundle.Format)));
            var (bases, resumable) = Bases(bundle, published);
            return await _fetcher.FetchAsync(new(bundle, source, info, bases, resumable, retry.Budget, _snapStart), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var error = FailureKinds.Classify(ex).ForBundle(bundle.Name);
            _log.Error("bundle failed", ("bundle", bundle.Name), ("errorType", error.ErrorType), ("error", error.Message));
            _statuses.Failed(bundle.Name, error);
            throw error;
        }
        catch (OperationCanceledException)
        {
            var error = new BundleException(FailureKind.BundleFetchFailed, FailureKinds.ForBundle(bundle.Name, "cancelled (shutdown)"));
            _statuses.Failed(bundle.Name, error);
            throw;
        }
    }

    /// <summary>
    /// One refresh check of a bundle INIT prepared: old versions no process uses are removed, a conditional request
    /// asks the source whether it changed, and a new version is fetched and published by the same atomic swap. A
    /// failure never touches what is published: the status says <c>stale</c> (or stays <c>failed</c> when nothing is
    /// published) with the cause, and is returned, not thrown.
    /// </summary>
    public async Task<RefreshOutcome> RefreshAsync(BundleSpec bundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var published = _publisher.ReadPublished(bundle.Name);
        try
        {
            foreach (var removed in _publisher.Retention.RemoveUnused(bundle.Name, _publisher.CurrentVersion(bundle.Name)))
            {
                _log.Info("removed old version", ("bundle", bundle.Name), ("store", removed));
            }

            var source = _sources.Create(bundle);
            var retry = new RetryPolicy(_time, budget: FetchBudget.ForRefreshCheck(_clock, _refreshBudget), inFlight: _inFlight);
            var decision = await ReuseDecision.AtRefreshAsync(
                bundle,
                published,
                version => IsUnchangedAsync(source, version, retry, ct),
                () => ProbeAsync(source, retry, ct)).ConfigureAwait(false);
            if (decision.Reuse)
            {
                _log.Debug("refresh checked", ("bundle", bundle.Name), ("version", published!.Version), ("changed", false));
                _statuses.Checked(bundle.Name, published);
                return RefreshOutcome.Unchanged;
            }

            var info = decision.Probe ?? await ProbeAsync(source, retry, ct).ConfigureAwait(false);
            _log.Info("refreshing", ("bundle", bundle.Name), ("from", published?.Version), ("to", info.VersionId), ("bytes", info.Length), ("reason", decision.Reason));
            var (bases, resumable) = Bases(bundle, published);
            var result = await _fetcher.FetchAsync(new(bundle, source, info, bases, resumable, retry.Budget), ct).ConfigureAwait(false);
            return new RefreshOutcome(result, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var error = FailureKinds.Classify(ex).ForBundle(bundle.Name);
            var stillPublished = published?.Source == bundle.DisplaySource ? published : null;
            _log.Warn(
                "refresh failed, keeping the published version",
                ("bundle", bundle.Name),
                ("status", stillPublished is null ? BundleStatus.Failed : BundleStatus.Stale),
                ("version", stillPublished?.Version),
                ("errorType", error.ErrorType),
                ("error", error.Message));
            WriteSafely(() => _statuses.RefreshFailed(bundle.Name, stillPublished, error));
            return new RefreshOutcome(null, error);
        }
    }

    private static async Task<bool> IsUnchangedAsync(IBundleSource source, string version, RetryPolicy retry, CancellationToken ct) =>
        await retry.ExecuteAsync(
            async (_, token) =>
            {
                using var timeout = new CancellationTokenSource(ProbeTimeout, retry.Time);
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
                return await source.IsUnchangedAsync(version, bounded.Token).ConfigureAwait(false);
            },
            $"check {source.DisplayName}",
            ct).ConfigureAwait(false);

    private static async Task<SourceInfo> ProbeAsync(IBundleSource source, RetryPolicy retry, CancellationToken ct) =>
        await retry.ExecuteAsync(
            async (_, token) =>
            {
                // A probe that hangs (a frozen connection) is retried, not waited on.
                using var timeout = new CancellationTokenSource(ProbeTimeout, retry.Time);
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
                return await source.ProbeAsync(bounded.Token).ConfigureAwait(false);
            },
            $"probe {source.DisplayName}",
            ct).ConfigureAwait(false);

    /// <summary>
    /// What a new version's fetch may take entries from, and whether a later attempt could take this one's; a resume
    /// folder it cannot use is removed.
    /// </summary>
    private (IReadOnlyList<Archives.ExistingTree> Bases, bool Resumable) Bases(BundleSpec bundle, BundleManifest? published)
    {
        var (bases, whyNoDelta, resumeUsable) = ReuseDecision.Bases(bundle, published, _publisher.CurrentVersionPath(bundle.Name), _resume.Find(bundle.Name));
        if (!resumeUsable)
        {
            _resume.Discard(bundle.Name);
        }

        if (whyNoDelta is not null)
        {
            _log.Info("full fetch, no delta", ("bundle", bundle.Name), ("reason", whyNoDelta));
        }

        return (bases, resumeUsable);
    }

    private BundleResult Reused(BundleSpec bundle, BundleManifest manifest, ReuseDecision decision, DateTimeOffset? checkedAt)
    {
        var path = _publisher.PublishedPath(bundle.Name);
        _resume.Discard(bundle.Name);
        _log.Info("reusing", ("bundle", bundle.Name), ("path", path), ("version", manifest.Version), ("reason", decision.Reason));
        _statuses.Ready(bundle.Name, manifest, reused: true, checkedAt);
        return new BundleResult(bundle.Name, path, true, decision.Reason, manifest.Version, manifest.Sha256, manifest.Files, manifest.Bytes, 0, 0);
    }

    private void WriteSafely(Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Error("could not write the status file", ("error", e.Message));
        }
    }
}
