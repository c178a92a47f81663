using System.Diagnostics;
using System.Globalization;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Lambda;
using ExtensionCache.Extension.Logging;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Lifecycle;

/// <summary>
/// The extension's life: prepare bundles before or after register (by mode), report INIT failures through
/// init/error, then wait on event/next until SHUTDOWN. Registers for SHUTDOWN only, unless a bundle refreshes on
/// demand: then also for INVOKE, where a due refresh check starts and the extension calls next again after at most
/// the refresh wait (the rest goes on in the background). On Managed Instances, where INVOKE cannot be registered,
/// a timer drives the checks. After a SnapStart restore (the first INVOKE after a <c>snap-start</c> INIT) or a
/// provisioned environment's INIT, which may be long before, it drops every connection and credential from before, and
/// after a restore checks every refreshing bundle at once.
/// </summary>
/// <param name="sandbox">Paused while the extension waits in <c>next</c> on demand (the sandbox may be frozen meanwhile)
/// and thawed by each event, so refresh budgets count running time only.</param>
public sealed class ExtensionHost(
    string extensionName, string version, ExtensionsApiClient api, LifecycleLog log, StartupClock clock, SandboxClock sandbox, TimeProvider time)
{
    /// <summary>Consecutive event/next failures tolerated (a connection may die while the sandbox is frozen).</summary>
    private const int NextAttempts = 3;

    /// <summary>How long before the on-demand INIT limit the extension says how far its fetches have got.</summary>
    private static readonly TimeSpan InitLimitNotice = TimeSpan.FromSeconds(1);

    /// <summary>How long a refresh still running at SHUTDOWN may take to remove its staging.</summary>
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromMilliseconds(300);

    private static readonly ExtensionEventType[] ShutdownOnly = [ExtensionEventType.Shutdown];
    private static readonly ExtensionEventType[] InvokeAndShutdown = [ExtensionEventType.Invoke, ExtensionEventType.Shutdown];

    /// <summary>INVOKE too only when a bundle refreshes and the environment allows it (not on Managed Instances).</summary>
    public static IReadOnlyList<ExtensionEventType> EventsFor(CacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AnyRefresh && !options.ManagedInstances ? InvokeAndShutdown : ShutdownOnly;
    }

    /// <summary>Configuration was invalid: register (init/error needs an identifier), report every problem, exit 1.</summary>
    public async Task<int> FailConfigurationAsync(IReadOnlyList<string> errors, CancellationToken cancellationToken)
    {
        foreach (var error in errors)
        {
            log.Error("config invalid", ("error", error));
        }

        return await RunGuardedAsync(
            async () =>
            {
                var registration = await RegisterAsync("none (invalid configuration)", ShutdownOnly, cancellationToken).ConfigureAwait(false);
                return await ReportInitErrorAsync(registration, FailureKind.ConfigInvalid, string.Join("; ", errors), cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    public Task<int> RunAsync(CacheOptions options, IBundleWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(work);
        return RunGuardedAsync(() => RunCoreAsync(options, work, cancellationToken), cancellationToken);
    }

    private async Task<int> RunCoreAsync(CacheOptions options, IBundleWork work, CancellationToken cancellationToken)
    {
        var mode = CacheOptions.ModeName(options.Mode);
        log.Info(
            "starting",
            ("version", version),
            ("mode", mode),
            ("onError", CacheOptions.OnErrorName(options.OnError)),
            ("bundles", options.Bundles.Count),
            ("root", options.Root),
            ("concurrency", options.Limits.Concurrency),
            ("partSizeMb", options.Limits.PartSizeBytes == 0 ? "auto" : (options.Limits.PartSizeBytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture)),
            ("workers", options.Limits.Workers));
        var started = Stopwatch.GetTimestamp();

        // Status files must be gone before register, so one seen later is always from this INIT.
        var rootProblem = PrepareRoot(options, work);

        IReadOnlyList<BundleFailure> failures = [];
        ExtensionRegistration registration;
        using (var preparing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var limit = options.Initialization == InitializationType.OnDemand ? LogAtInitLimitAsync(work, preparing.Token) : Task.CompletedTask;
            if (options.Mode == CacheMode.BeforeRegister)
            {
                failures = await PrepareAllAsync(options.Bundles, work, rootProblem, cancellationToken).ConfigureAwait(false);
            }

            registration = await RegisterAsync(mode, EventsFor(options), cancellationToken).ConfigureAwait(false);

            if (options.Mode == CacheMode.Overlap)
            {
                failures = await PrepareAllAsync(options.Bundles, work, rootProblem, cancellationToken).ConfigureAwait(false);
            }

            await preparing.CancelAsync().ConfigureAwait(false);
            await limit.ConfigureAwait(false);
        }

        if (failures.Count > 0)
        {
            // The engine has already logged each failure where it happened; here only the decision is logged.
            if (options.OnError == ErrorPolicy.Fail)
            {
                var message = string.Join("; ", failures.Select(f => f.Message));
                return await ReportInitErrorAsync(registration, failures[0].Kind, message, cancellationToken).ConfigureAwait(false);
            }

            log.Warn("continuing without failed bundles", ("failed", failures.Select(f => f.Bundle).ToArray()), ("onError", "continue"));
        }

        log.Info(
            "ready",
            ("bundles", options.Bundles.Count - failures.Count),
            ("failed", failures.Count),
            ("totalMs", (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds));

        if (!options.AnyRefresh)
        {
            // Close the sources' connections; their buffers are given back once INIT has ended (first next).
            work.Dispose();
            return await WaitForShutdownAsync(registration, null, cancellationToken).ConfigureAwait(false);
        }

        if (options.Initialization == InitializationType.SnapStart)
        {
            // The snapshot comes next: nothing pooled or cached goes into it.
            work.DropConnections();
        }

        using var refreshing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var scheduler = new RefreshScheduler(options.Bundles, work.RefreshAsync, time, log);
        var driver = options.ManagedInstances ? "timer" : "invoke";
        log.Info(
            "refresh on",
            ("bundles", options.Bundles.Where(b => b.Refreshes).Select(b => $"{b.Name}:{b.RefreshSeconds}s").ToArray()),
            ("driver", driver),
            ("waitMs", (long)options.Refresh.InvokeWait.TotalMilliseconds));
        var timer = options.ManagedInstances ? RunTimerAsync(scheduler, refreshing.Token) : Task.CompletedTask;
        try
        {
            var refresh = new InvokeRefresh(scheduler, options.Refresh.InvokeWait, refreshing.Token, work, options.Initialization);
            return await WaitForShutdownAsync(registration, refresh, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A download still running is cancelled; it removes its staging, and the published version stays.
            await refreshing.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(Task.WhenAll(timer, scheduler.Running()), Task.Delay(ShutdownGrace, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    private async Task RunTimerAsync(RefreshScheduler scheduler, CancellationToken ct)
    {
        try
        {
            await scheduler.RunTimerAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutdown.
        }
        catch (Exception e)
        {
            log.Error("refresh timer stopped", ("error", $"{e.GetType().Name}: {e.Message}"));
        }
    }

    /// <summary>What an INVOKE does when bundles refresh.</summary>
    private sealed record InvokeRefresh(
        RefreshScheduler Scheduler, TimeSpan Wait, CancellationToken Token, IBundleWork Work, InitializationType Initialization);

    /// <summary>
    /// On demand, shortly before the INIT limit (counted from the process start, which comes a little after Lambda's
    /// INIT start): says how far each fetch still running has got, while the extension can still say it. It does not
    /// stop there: Lambda ends INIT itself, and a retried INIT runs under the function timeout, which the extension
    /// cannot know. If Lambda ends this INIT, the complete files stay for the retry.
    /// </summary>
    private async Task LogAtInitLimitAsync(IBundleWork work, CancellationToken ct)
    {
        var sinceStart = TimeSpan.FromMilliseconds(StartupClock.MillisecondsSinceProcessStart() ?? 0);
        var wait = InitializationTypes.OnDemandInitLimit - InitLimitNotice - sinceStart;
        try
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        foreach (var running in work.Running)
        {
            log.Warn(
                "INIT limit near, still fetching",
                ("bundle", running.Bundle),
                ("limitS", InitializationTypes.OnDemandInitLimit.TotalSeconds),
                ("readBytes", running.ReadBytes),
                ("archiveBytes", running.ArchiveBytes),
                ("files", running.Files),
                ("bytes", running.Bytes),
                ("next", "Lambda ends a first INIT at 10 s and retries it at the first invoke under the function timeout; the retry resumes from the complete files"));
        }
    }

    /// <summary>Cleans the cache root; returns why it cannot be used, or null.</summary>
    private string? PrepareRoot(CacheOptions options, IBundleWork work)
    {
        try
        {
            work.PrepareRoot(options.Bundles);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Error("root unavailable", ("root", options.Root), ("errorType", FailureKind.RootUnavailable.ErrorType()), ("error", e.Message));
            return $"cannot prepare the cache root {options.Root}: {e.Message}";
        }
    }

    private async Task<IReadOnlyList<BundleFailure>> PrepareAllAsync(
        IReadOnlyList<BundleSpec> bundles, IBundleWork work, string? rootProblem, CancellationToken cancellationToken)
    {
        if (rootProblem is not null)
        {
            return [.. bundles.Select(b => new BundleFailure(b.Name, FailureKind.RootUnavailable, rootProblem))];
        }

        var outcomes = await Task.WhenAll(bundles.Select(b => PrepareOneAsync(work, b, cancellationToken))).ConfigureAwait(false);
        return [.. outcomes.OfType<BundleFailure>()];
    }

    private async Task<BundleFailure?> PrepareOneAsync(IBundleWork work, BundleSpec bundle, CancellationToken cancellationToken)
    {
        try
        {
            return await work.PrepareAsync(bundle, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // A bug in the engine must still end as a clear init/error, never as a silent crash.
            var failure = new BundleFailure(bundle.Name, FailureKind.InternalError, $"{e.GetType().Name}: {e.Message}");
            log.Error("bundle failed", ("bundle", bundle.Name), ("errorType", failure.Kind.ErrorType()), ("error", failure.Reason));
            return failure;
        }
    }

    private async Task<ExtensionRegistration> RegisterAsync(string mode, IReadOnlyList<ExtensionEventType> events, CancellationToken cancellationToken)
    {
        var registration = await api.RegisterAsync(extensionName, events, cancellationToken).ConfigureAwait(false);
        log.Info(
            "registered",
            ("name", extensionName),
            ("events", events.Select(ExtensionsApiClient.EventName).ToArray()),
            ("mode", mode),
            ("function", registration.FunctionName),
            ("sinceProcessStartMs", StartupClock.MillisecondsSinceProcessStart()),
            ("sinceMainMs", Math.Round(clock.MillisecondsSinceMain, 1)));
        return registration;
    }

    private async Task<int> ReportInitErrorAsync(ExtensionRegistration registration, FailureKind kind, string message, CancellationToken cancellationToken)
    {
        var errorType = kind.ErrorType();
        await api.InitErrorAsync(registration.Identifier, errorType, message, cancellationToken).ConfigureAwait(false);
        log.Error("init failed", ("errorType", errorType), ("error", message));
        return ExitCodes.InitFailed;
    }

    private async Task<int> WaitForShutdownAsync(ExtensionRegistration registration, InvokeRefresh? refresh, CancellationToken cancellationToken)
    {
        // Registered for INVOKE (refresh on demand), the extension waits in next while the sandbox may be frozen, and
        // each INVOKE thaws it. Otherwise next returns only at SHUTDOWN, and nothing running (a Managed Instances
        // refresh timer: that sandbox is never frozen) needs to tell frozen time from running time.
        var freezes = registration.Events.Contains(ExtensionEventType.Invoke);
        var trimmed = false;
        var firstInvoke = true;
        var failures = 0;
        while (true)
        {
            ExtensionEvent next;
            try
            {
                if (freezes)
                {
                    sandbox.Pause();
                }

                var pending = api.NextAsync(registration.Identifier, cancellationToken);
                if (!trimmed)
                {
                    // INIT ends with this first next; give the preparation's buffers back while we wait (not
                    // before: INIT would wait for it), so the extension idles small for the life of the sandbox.
                    trimmed = true;
                    ProcessMemory.Release();
                    log.Debug("released memory", ("heapBytes", GC.GetTotalMemory(forceFullCollection: false)));
                }

                next = await pending.ConfigureAwait(false);
                sandbox.Thaw();
                failures = 0;
            }
            catch (ExtensionsApiException e) when (e.StatusCode is null && ++failures < NextAttempts)
            {
                log.Warn("event/next failed, retrying", ("attempt", failures), ("error", e.Message));
                continue;
            }

            switch (next)
            {
                case ShutdownEvent shutdown:
                    log.Info("shutdown", ("reason", shutdown.Reason), ("deadlineMs", shutdown.DeadlineMs));
                    return ExitCodes.Success;
                case InvokeEvent invoke:
                    log.Debug("invoke", ("requestId", invoke.RequestId));
                    if (refresh is not null)
                    {
                        if (firstInvoke)
                        {
                            firstInvoke = false;
                            FirstInvokeAfterInit(refresh);
                        }

                        // The function's invoke runs meanwhile; only what outlasts it is billed. The rest of a
                        // check goes on in the background, and after a freeze, at the next thaw.
                        var due = refresh.Scheduler.StartDue(refresh.Token);
                        if (!due.IsCompleted && refresh.Wait > TimeSpan.Zero)
                        {
                            await Task.WhenAny(due, Task.Delay(refresh.Wait, cancellationToken)).ConfigureAwait(false);
                        }
                    }

                    break;
                case UnknownEvent unknown:
                    log.Warn("unknown event ignored", ("eventType", unknown.EventType));
                    break;
            }
        }
    }

    /// <summary>
    /// The first INVOKE after INIT. On SnapStart it comes only after a restore: Lambda snapshots the environment once
    /// INIT is over (every process waits in next) and every later cold start resumes that snapshot, so the extension's
    /// pending next simply returns the restored environment's first INVOKE (the Extensions API has no restore event).
    /// The snapshot may be weeks old and its copies many: connections and credentials from before it are dropped, and
    /// every refreshing bundle is checked now, as an on-demand cold start's INIT would. A provisioned environment's
    /// INIT may also be hours old: its connections are dropped; its checks stay on their periods (the wall clock says
    /// how long ago INIT was).
    /// </summary>
    private void FirstInvokeAfterInit(InvokeRefresh refresh)
    {
        switch (refresh.Initialization)
        {
            case InitializationType.SnapStart:
                refresh.Work.DropConnections();
                refresh.Scheduler.MakeAllDue();
                log.Info(
                    "restored from a snapshot",
                    ("initializationType", InitializationTypes.Name(refresh.Initialization)),
                    ("connections", "dropped"),
                    ("checking", "every refreshing bundle, whatever its period"));
                break;
            case InitializationType.ProvisionedConcurrency:
                refresh.Work.DropConnections();
                log.Info(
                    "first invoke after a provisioned INIT",
                    ("initializationType", InitializationTypes.Name(refresh.Initialization)),
                    ("connections", "dropped"));
                break;
        }
    }

    private async Task<int> RunGuardedAsync(Func<Task<int>> run, CancellationToken cancellationToken)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGTERM: Lambda is ending the sandbox; leave at once and cleanly.
            log.Info("stopped", ("reason", "sigterm"));
            return ExitCodes.Success;
        }
        catch (ExtensionsApiException e)
        {
            log.Error("extensions api failed", ("status", e.StatusCode is { } status ? (int)status : null), ("errorType", e.ErrorType), ("error", e.Message));
            return ExitCodes.ApiFailed;
        }
    }
}
