using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LambdaEmulator.Api;
using LambdaEmulator.Cli;
using LambdaEmulator.Logs;
using LambdaEmulator.Sandbox;
using LambdaEmulator.Telemetry;

namespace LambdaEmulator.Lifecycle;

/// <summary>
/// The execution environment's state machine: INIT, INVOKE (thaw, run, freeze), SHUTDOWN, and the reset
/// (SHUTDOWN then INIT again at the next invoke, keeping /tmp) after a failure or timeout. Up to
/// <see cref="EmulatorOptions.Concurrency"/> invokes run at once; INIT, resets, freezing and SHUTDOWN are serialised
/// by one transition gate. An invoke's caller gets the answer as soon as the runtime posts it; the invoke itself
/// (its REPORT, its slot) ends when the extensions registered for INVOKE have called next again.
/// </summary>
public sealed class LifecycleController(
    EmulatorOptions options, ExecutionEnvironment environment, LambdaLog log, TelemetryHub telemetry, TimeProvider time)
{
    private static readonly TimeSpan ShutdownBudget = TimeSpan.FromMilliseconds(2_000);
    private static readonly TimeSpan MemorySampleInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Lambda's limit on a restore and the runtime's after-restore hooks.</summary>
    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromSeconds(10);

    private readonly string _region = RegionOf(options);
    private readonly SandboxProcesses _processes = new(options, environment, log, time);
    private readonly MemoryMeter _memory = new();
    private readonly PlatformReporter _reporter = new(options, log, RegionOf(options));
    private readonly SemaphoreSlim _slots = new(options.Concurrency, options.Concurrency);
    private readonly SemaphoreSlim _transition = new(1, 1);
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _running = [];
    private LifecycleState _state = new(new HashSet<string>(), options.ManagedInstances);
    private SandboxFailure? _lastInitFailure;
    private bool _initialized;
    private double? _pendingInitDurationMs;
    private RestoreDurations? _pendingRestore;
    private bool _restorePending;
    private int _inFlight;
    private volatile bool _stopping;
    private CancellationTokenSource? _sampling;
    private Task _sampler = Task.CompletedTask;

    /// <summary>The span the APIs talk to; replaced by every INIT.</summary>
    public LifecycleState Current => Volatile.Read(ref _state);

    /// <summary>Lambda Managed Instances mode: the APIs that do not exist there (the Logs API) check this.</summary>
    public bool IsManagedInstances => options.ManagedInstances;

    /// <summary>SnapStart mode: the runtime's restore endpoints exist only then.</summary>
    public bool IsSnapStart => options.SnapStart;

    /// <summary>SnapStart with credentials given: the sessions the container credentials endpoint serves.</summary>
    public CredentialSessions? Credentials { get; } = CredentialSessions.For(options, log, time);

    /// <summary>host:port of the Runtime/Extensions/Telemetry API listener; set before INIT.</summary>
    public string RuntimeApi
    {
        get => _processes.RuntimeApi;
        set
        {
            _processes.RuntimeApi = value;
            _processes.CredentialsToken = Credentials?.AuthorizationToken;
        }
    }

    public RegisterResponse RegisterResponseBody(bool withAccountId) =>
        new(options.FunctionName, options.FunctionVersion, options.Handler, withAccountId ? "123456789012" : null);

    /// <summary>Runs INIT; false when it failed or timed out (the sandbox is then reset).</summary>
    public async Task<bool> InitAsync(string phase, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        await _transition.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await InitCoreAsync(phase, deadline, cancellationToken).ConfigureAwait(false) == PhaseStatus.Success;
        }
        finally
        {
            _transition.Release();
        }
    }

    /// <summary>
    /// Starts an invoke once a slot is free and returns its answer as soon as the runtime posts it (or the invoke
    /// fails or times out); <paramref name="answered"/> sees the answer first, before the invoke goes on (so result
    /// lines keep the invokes' order). The rest of the invoke (extensions, REPORT, freeze) goes on;
    /// <see cref="ShutdownAsync"/> waits for it.
    /// </summary>
    public async Task<InvokeOutcome> InvokeAsync(string payload, Action<InvokeOutcome> answered, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var answer = new TaskCompletionSource<InvokeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = RunInvokeAsync(payload, answer, answered, cancellationToken);
        lock (_gate)
        {
            _running.Add(run);
        }

        _ = run.ContinueWith(
            finished =>
            {
                lock (_gate)
                {
                    _running.Remove(finished);
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return await answer.Task.ConfigureAwait(false);
    }

    /// <summary>SHUTDOWN: the end of the execution environment, once every invoke in flight has ended.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        // Invokes still waiting for a slot or the transition gate must not start a new INIT after this.
        _stopping = true;
        Task[] running;
        lock (_gate)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        await _transition.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await (_processes.IsEmpty ? telemetry.FlushAndClearAsync(cancellationToken) : ShutdownProcessesAsync("spindown", cancellationToken))
                .ConfigureAwait(false);
        }
        finally
        {
            _transition.Release();
        }
    }

    private async Task<PhaseStatus> InitCoreAsync(string phase, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var state = new LifecycleState(_processes.ExtensionFiles().Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal)!, options.ManagedInstances);
        Volatile.Write(ref _state, state);
        _memory.Reset();
        StartSampling();
        _reporter.InitStart(phase);

        var stopwatch = Stopwatch.StartNew();
        var status = PhaseStatus.Success;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Max(deadline - time.GetUtcNow(), TimeSpan.Zero));
        try
        {
            var launched = LaunchExtensions(state);
            await state.WaitUntilAsync(s => s.Failure is not null || s.AllExtensionsRegistered(launched), timeout.Token).ConfigureAwait(false);
            if (state.Failure is null)
            {
                state.CloseRegistration();
                LaunchRuntime(state);
                await state.WaitUntilAsync(s => s.Failure is not null || s.InitComplete(), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            status = PhaseStatus.Timeout;
        }

        stopwatch.Stop();
        foreach (var agent in state.Agents)
        {
            _reporter.ExtensionReady(agent);
        }

        var failure = status == PhaseStatus.Timeout ? null : state.Failure;
        if (failure is not null)
        {
            status = PhaseStatus.Error;
        }

        var initMs = stopwatch.Elapsed.TotalMilliseconds;
        _reporter.InitDone(phase, status, initMs, failure?.ErrorType);
        if (status != PhaseStatus.Success)
        {
            if (failure?.Body is { Length: > 0 } body)
            {
                log.Debug($"INIT error body: {body}");
            }

            await ShutdownProcessesAsync(status == PhaseStatus.Timeout ? "timeout" : "failure", cancellationToken).ConfigureAwait(false);
            return status;
        }

        _initialized = true;
        // On Managed Instances and with SnapStart INIT is reported on its own (INIT_REPORT), not in the first REPORT.
        _pendingInitDurationMs = phase == "init" && !options.ManagedInstances && !options.SnapStart ? initMs : null;
        if (options.SnapStart)
        {
            TakeSnapshot();
        }

        return status;
    }

    /// <summary>
    /// SnapStart: Lambda snapshots the environment once INIT is over. Every process stops (SIGSTOP) and stays stopped
    /// until the restore, which the first invoke brings (a test in serve mode can change the world in between).
    /// </summary>
    private void TakeSnapshot()
    {
        _processes.Snapshot();
        telemetry.Pause();
        _restorePending = true;
        log.Debug("snapshot taken: every sandbox process is stopped until the restore at the first invoke");
    }

    /// <summary>
    /// SnapStart's restore, at the first invoke after the snapshot (caller holds the transition gate): RESTORE_START, a
    /// new credentials session, the sandbox's connections to the outside destroyed, every process resumed; then, if
    /// the runtime waits in restore/next, that call returns and the runtime's after-restore hooks run until it calls
    /// invocation/next (or restore/error, or 10 s pass); RESTORE_REPORT. Returns the failure, or null.
    /// </summary>
    private async Task<SandboxFailure?> RestoreAsync(CancellationToken cancellationToken)
    {
        _restorePending = false;
        var state = Current;
        var stopwatch = Stopwatch.StartNew();
        _reporter.RestoreStart();
        Credentials?.Restore();
        await SnapshotConnections.DropAsync(_processes.Groups, new Uri("http://" + RuntimeApi).Port, log).ConfigureAwait(false);
        _processes.Thaw();
        telemetry.Resume();

        var hooks = Stopwatch.StartNew();
        var status = PhaseStatus.Success;
        SandboxFailure? failure = null;
        if (state.ReleaseRestore())
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Max(RestoreTimeout - stopwatch.Elapsed, TimeSpan.Zero));
            try
            {
                await state.WaitUntilAsync(s => s.Failure is not null || s.RestoreFailure is not null || s.RuntimeWaiting, timeout.Token).ConfigureAwait(false);
                failure = state.RuntimeWaiting ? null : state.RestoreFailure ?? state.Failure;
                status = failure is null ? PhaseStatus.Success : PhaseStatus.Error;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                status = PhaseStatus.Timeout;
                failure = new SandboxFailure("Runtime.RestoreHookUserTimeout", $"The runtime's after-restore hooks did not finish within {RestoreTimeout.TotalSeconds:0} s");
            }
        }

        hooks.Stop();
        stopwatch.Stop();
        _reporter.RestoreDone(status, stopwatch.Elapsed.TotalMilliseconds, failure?.ErrorType);
        lock (_gate)
        {
            _pendingRestore = new RestoreDurations(stopwatch.Elapsed.TotalMilliseconds, hooks.Elapsed.TotalMilliseconds);
        }

        return failure;
    }

    private async Task RunInvokeAsync(
        string payload, TaskCompletionSource<InvokeOutcome> answer, Action<InvokeOutcome> answered, CancellationToken cancellationToken)
    {
        try
        {
            await RunInvokeCoreAsync(
                payload,
                outcome =>
                {
                    answered(outcome);
                    answer.TrySetResult(outcome);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            answer.TrySetException(e);
            if (e is not OperationCanceledException)
            {
                log.Debug($"invoke failed in the emulator: {e}");
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task RunInvokeCoreAsync(string payload, Action<InvokeOutcome> respond, CancellationToken cancellationToken)
    {
        var requestId = Guid.NewGuid().ToString();
        var started = time.GetUtcNow();
        var deadline = started + options.Timeout;
        var stopwatch = Stopwatch.StartNew();

        LifecycleState state;
        await _transition.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopping)
            {
                throw new OperationCanceledException("the execution environment is shutting down");
            }

            var init = await EnsureInitializedAsync(deadline, cancellationToken).ConfigureAwait(false);
            if (init != PhaseStatus.Success)
            {
                // The INIT's own verdict, not the clock: its timer can fire a few milliseconds before the deadline.
                var timedOut = init == PhaseStatus.Timeout;
                if (timedOut)
                {
                    await ReachTimeoutAsync(stopwatch).ConfigureAwait(false);
                }

                var failure = timedOut ? TimeoutFailure(requestId) : _lastInitFailure ?? new SandboxFailure("Runtime.Unknown", "INIT failed");
                var status = timedOut ? PhaseStatus.Timeout : PhaseStatus.Error;
                _reporter.Start(requestId);
                _reporter.RuntimeDone(requestId, status, stopwatch.Elapsed.TotalMilliseconds, 0);
                respond(FailureOutcome(requestId, status, failure));
                Report(requestId, stopwatch, status, failure, postRuntimeExtensionsMs: null);
                return;
            }

            if (_restorePending && await RestoreAsync(cancellationToken).ConfigureAwait(false) is { } restoreFailure)
            {
                _reporter.Start(requestId);
                _reporter.RuntimeDone(requestId, PhaseStatus.Error, stopwatch.Elapsed.TotalMilliseconds, 0);
                respond(FailureOutcome(requestId, PhaseStatus.Error, restoreFailure));
                Report(requestId, stopwatch, PhaseStatus.Error, restoreFailure, postRuntimeExtensionsMs: null);
                await ResetAsync("failure", cancellationToken).ConfigureAwait(false);
                return;
            }

            state = Current;
            if (_inFlight++ == 0)
            {
                _processes.Thaw();
                telemetry.Resume();
            }
        }
        finally
        {
            _transition.Release();
        }

        try
        {
            await RunInitializedInvokeAsync(state, requestId, payload, started, deadline, stopwatch, respond, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await LeaveAsync().ConfigureAwait(false);
        }
    }

    private async Task RunInitializedInvokeAsync(
        LifecycleState state, string requestId, string payload, DateTimeOffset started, DateTimeOffset deadline, Stopwatch stopwatch,
        Action<InvokeOutcome> respond, CancellationToken cancellationToken)
    {
        _reporter.Start(requestId);
        var arn = $"arn:aws:lambda:{_region}:123456789012:function:{options.FunctionName}";
        var traceId = $"Root=1-{started.ToUnixTimeSeconds():x8}-{Guid.NewGuid():N}"[..40] + ";Parent=" + Guid.NewGuid().ToString("N")[..16] + ";Sampled=0";
        var invocation = new Invocation(requestId, payload, deadline.ToUnixTimeMilliseconds(), arn, traceId);
        var invokeEvent = JsonSerializer.Serialize(
            new InvokeEvent("INVOKE", invocation.DeadlineMs, requestId, arn, new TracingHeader("X-Amzn-Trace-Id", traceId)),
            ApiJsonContext.Default.InvokeEvent);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Max(deadline - time.GetUtcNow(), TimeSpan.Zero));
        try
        {
            state.BeginInvoke(invocation, invokeEvent);

            // Phase 1: the runtime's answer goes back to the caller at once.
            if (!await WaitAsync(state, s => s.Failure is not null || s.IsAnswered(invocation), timeout, cancellationToken).ConfigureAwait(false))
            {
                await ReachTimeoutAsync(stopwatch).ConfigureAwait(false);
                var failure = TimeoutFailure(requestId);
                _reporter.TimedOut(failure);
                _reporter.RuntimeDone(requestId, PhaseStatus.Timeout, stopwatch.Elapsed.TotalMilliseconds, 0);
                respond(FailureOutcome(requestId, PhaseStatus.Timeout, failure));
                await EndWithTimeoutAsync(state, requestId, stopwatch, failure, postRuntimeExtensionsMs: null).ConfigureAwait(false);
                return;
            }

            if (!state.IsAnswered(invocation) && state.Failure is { } crashed)
            {
                _reporter.InvokeFailed(requestId, crashed);
                _reporter.RuntimeDone(requestId, PhaseStatus.Error, stopwatch.Elapsed.TotalMilliseconds, 0);
                respond(FailureOutcome(requestId, PhaseStatus.Error, crashed));
                Report(requestId, stopwatch, PhaseStatus.Error, crashed, postRuntimeExtensionsMs: null);
                await ResetAfterFailureAsync(state, "failure", crashed).ConfigureAwait(false);
                return;
            }

            var runtimeAnswer = invocation.Answer!;
            var answeredAt = stopwatch.Elapsed;
            var status = runtimeAnswer.IsError ? PhaseStatus.Error : PhaseStatus.Success;
            _reporter.RuntimeDone(requestId, status, answeredAt.TotalMilliseconds, runtimeAnswer.Body.Length);
            respond(new InvokeOutcome(requestId, status, runtimeAnswer.Body));

            // Phase 2: the invoke goes on (and is billed) until the INVOKE extensions called next again.
            var complete = await WaitAsync(state, s => s.Failure is not null || s.InvokeComplete(invocation), timeout, cancellationToken).ConfigureAwait(false);
            double? postRuntimeMs = invocation.InvokeEvents.Count > 0 ? (stopwatch.Elapsed - answeredAt).TotalMilliseconds : null;
            if (!complete)
            {
                await ReachTimeoutAsync(stopwatch).ConfigureAwait(false);
                var failure = TimeoutFailure(requestId);
                _reporter.TimedOut(failure);
                await EndWithTimeoutAsync(state, requestId, stopwatch, failure, postRuntimeMs).ConfigureAwait(false);
                return;
            }

            if (!state.InvokeComplete(invocation) && state.Failure is { } failed)
            {
                _reporter.InvokeFailed(requestId, failed);
                Report(requestId, stopwatch, PhaseStatus.Error, failed, postRuntimeMs);
                await ResetAfterFailureAsync(state, "failure", failed).ConfigureAwait(false);
                return;
            }

            Report(requestId, stopwatch, status, failure: null, postRuntimeMs);
        }
        finally
        {
            state.EndInvoke(invocation);
        }
    }

    /// <summary>
    /// A timed-out invoke. On demand Lambda resets the sandbox; a Managed Instances environment goes on (AWS: the
    /// invoke is marked failed, other invokes and the environment are not interrupted).
    /// </summary>
    private async Task EndWithTimeoutAsync(LifecycleState state, string requestId, Stopwatch stopwatch, SandboxFailure failure, double? postRuntimeExtensionsMs)
    {
        Report(requestId, stopwatch, PhaseStatus.Timeout, failure, postRuntimeExtensionsMs);
        if (!options.ManagedInstances)
        {
            await ResetAfterFailureAsync(state, "timeout", failure).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for a condition on the state; false when the invoke's timeout came first.</summary>
    /// <summary>
    /// .NET timers run on the kernel's coarse clock and can fire a few milliseconds before the deadline (990 ms
    /// seen for a 1 s timeout): a timed-out invoke is never reported shorter than its timeout.
    /// </summary>
    private async Task ReachTimeoutAsync(Stopwatch stopwatch)
    {
        var left = options.Timeout - stopwatch.Elapsed;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left + TimeSpan.FromMilliseconds(1), time).ConfigureAwait(false);
        }
    }

    private static async Task<bool> WaitAsync(
        LifecycleState state, Func<LifecycleState, bool> condition, CancellationTokenSource timeout, CancellationToken cancellationToken)
    {
        try
        {
            await state.WaitUntilAsync(condition, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return condition(state);
        }
    }

    /// <summary>Resets a sandbox that failed while idle, and runs INIT when there is none (caller holds the transition gate).</summary>
    private async Task<PhaseStatus> EnsureInitializedAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        if (_initialized && _inFlight == 0 && Current.Failure is { } earlier)
        {
            log.Debug($"sandbox failed while idle ({earlier.ErrorType}): resetting");
            await ResetAsync("failure", cancellationToken).ConfigureAwait(false);
        }

        // A failed or timed-out INIT is retried inside the invoke, under the function timeout.
        return _initialized ? PhaseStatus.Success : await InitCoreAsync("invoke", deadline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The invoke has ended: the last one out freezes the sandbox.</summary>
    private async Task LeaveAsync()
    {
        await _transition.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (--_inFlight == 0 && _initialized)
            {
                _processes.Freeze();
                if (options.Freeze)
                {
                    telemetry.Pause();
                }
            }
        }
        finally
        {
            _transition.Release();
        }
    }

    /// <summary>
    /// Resets the span that failed, once: the other invokes in flight in it fail with the same cause (on demand with
    /// one slot there are none).
    /// </summary>
    private async Task ResetAfterFailureAsync(LifecycleState state, string reason, SandboxFailure cause)
    {
        state.Fail(cause);
        await _transition.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_initialized && ReferenceEquals(Current, state))
            {
                await ResetAsync(reason, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _transition.Release();
        }
    }

    private void Report(string requestId, Stopwatch stopwatch, PhaseStatus status, SandboxFailure? failure, double? postRuntimeExtensionsMs)
    {
        double? initDuration;
        RestoreDurations? restore;
        lock (_gate)
        {
            initDuration = _pendingInitDurationMs;
            _pendingInitDurationMs = null;
            restore = _pendingRestore;
            _pendingRestore = null;
        }

        _reporter.Report(
            new InvokeReport(requestId, status, failure, stopwatch.Elapsed.TotalMilliseconds, initDuration, postRuntimeExtensionsMs, restore), _memory.PeakMb);
    }

    private static InvokeOutcome FailureOutcome(string requestId, PhaseStatus status, SandboxFailure failure)
    {
        var body = failure.Body is { Length: > 0 } given
            ? given
            : JsonSerializer.Serialize(new ErrorResponse(failure.ErrorMessage, failure.ErrorType), ApiJsonContext.Default.ErrorResponse);
        return new InvokeOutcome(requestId, status, body);
    }

    private SandboxFailure TimeoutFailure(string requestId)
    {
        var seconds = options.Timeout.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return new SandboxFailure("Sandbox.Timedout", $"{stamp} {requestId} Task timed out after {seconds} seconds");
    }

    private async Task ResetAsync(string reason, CancellationToken cancellationToken)
    {
        log.Debug($"resetting the sandbox (reason: {reason}); /tmp is kept");
        await ShutdownProcessesAsync(reason, cancellationToken).ConfigureAwait(false);
    }

    private async Task ShutdownProcessesAsync(string reason, CancellationToken cancellationToken)
    {
        var state = Current;
        if (!_initialized)
        {
            _lastInitFailure = state.Failure;
        }

        _initialized = false;
        _restorePending = false;
        lock (_gate)
        {
            _pendingInitDurationMs = null;
            _pendingRestore = null;
        }

        telemetry.Resume();
        var hasExtensions = state.Agents.Count > 0;
        var budget = hasExtensions ? ShutdownBudget : TimeSpan.Zero;
        var deadline = time.GetUtcNow() + budget;
        var shutdownEvent = JsonSerializer.Serialize(
            new ShutdownEvent("SHUTDOWN", reason, deadline.ToUnixTimeMilliseconds()), ApiJsonContext.Default.ShutdownEvent);
        log.Debug($"SHUTDOWN reason={reason} budget={budget.TotalMilliseconds:0} ms");
        var notified = state.BeginShutdown(shutdownEvent).Select(a => a.Name).ToHashSet(StringComparer.Ordinal);

        await _processes.StopAsync(deadline, notified, cancellationToken).ConfigureAwait(false);
        await StopSamplingAsync().ConfigureAwait(false);
        await telemetry.FlushAndClearAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One memory sampler per INIT-to-SHUTDOWN span: Max Memory Used is the span's peak.</summary>
    private void StartSampling()
    {
        _sampling = new CancellationTokenSource();
        _sampler = _memory.SampleUntilCancelledAsync(() => _processes.Groups, MemorySampleInterval, _sampling.Token);
    }

    private async Task StopSamplingAsync()
    {
        if (_sampling is { } sampling)
        {
            await sampling.CancelAsync().ConfigureAwait(false);
            await _sampler.ConfigureAwait(false);
            sampling.Dispose();
            _sampling = null;
        }
    }

    private List<string> LaunchExtensions(LifecycleState state)
    {
        var launched = new List<string>();
        foreach (var file in _processes.ExtensionFiles())
        {
            var name = Path.GetFileName(file);
            if (!_processes.TryStartExtension(file, (process, exitCode) => state.ProcessExited(process.Name, isRuntime: false, exitCode)))
            {
                _reporter.ExtensionLaunchError(name);
                state.Fail(new SandboxFailure("Extension.LaunchError", $"Extension {name} could not be started: permission denied"));
                continue;
            }

            launched.Add(name);
        }

        return launched;
    }

    private void LaunchRuntime(LifecycleState state)
    {
        if (_processes.RuntimeCommand() is not { } command)
        {
            state.Fail(new SandboxFailure("Runtime.InvalidEntrypoint", "No bootstrap in /var/task or /opt and no command after --"));
            return;
        }

        try
        {
            _processes.StartRuntime(command, (_, exitCode) => state.ProcessExited("runtime", isRuntime: true, exitCode));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            state.Fail(new SandboxFailure("Runtime.InvalidEntrypoint", e.Message));
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string RegionOf(EmulatorOptions options) =>
        options.Environment.GetValueOrDefault("AWS_REGION") ?? System.Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";
}
