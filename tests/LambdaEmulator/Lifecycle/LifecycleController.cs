using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LambdaEmulator.Api;
using LambdaEmulator.Cli;
using LambdaEmulator.Logs;
using LambdaEmulator.Sandbox;
using LambdaEmulator.Telemetry;

namespace LambdaEmulator.Lifecycle;

/// <summary>
/// The execution environment's state machine: INIT, INVOKE (thaw, run, freeze), SHUTDOWN, and the reset
/// (SHUTDOWN then INIT again at the next invoke, keeping /tmp) after a failure or timeout.
/// </summary>
public sealed class LifecycleController(
    EmulatorOptions options, ExecutionEnvironment environment, LambdaLog log, TelemetryHub telemetry, TimeProvider time)
{
    private static readonly TimeSpan ShutdownBudget = TimeSpan.FromMilliseconds(2_000);
    private static readonly TimeSpan MemorySampleInterval = TimeSpan.FromMilliseconds(50);

    private readonly SandboxProcesses _processes = new(options, environment, log, time);
    private readonly MemoryMeter _memory = new();
    private readonly string _region = options.Environment.GetValueOrDefault("AWS_REGION")
        ?? System.Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";
    private LifecycleState _state = new(new HashSet<string>());
    private SandboxFailure? _lastInitFailure;
    private bool _initialized;
    private double? _pendingInitDurationMs;

    /// <summary>The span the APIs talk to; replaced by every INIT.</summary>
    public LifecycleState Current => Volatile.Read(ref _state);

    /// <summary>host:port of the Runtime/Extensions/Telemetry API listener; set before INIT.</summary>
    public string RuntimeApi
    {
        get => _processes.RuntimeApi;
        set => _processes.RuntimeApi = value;
    }

    public RegisterResponse RegisterResponseBody(bool withAccountId) =>
        new(options.FunctionName, "$LATEST", options.Handler, withAccountId ? "123456789012" : null);

    /// <summary>Runs INIT; false when it failed or timed out (the sandbox is then reset).</summary>
    public async Task<bool> InitAsync(string phase, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var state = new LifecycleState(_processes.ExtensionFiles().Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal)!);
        Volatile.Write(ref _state, state);
        _memory.Reset();
        log.Platform(PlatformLines.InitStart(_region));
        log.PlatformEvent("platform.initStart", new JsonObject
        {
            ["initializationType"] = "on-demand", ["phase"] = phase, ["runtimeVersion"] = PlatformLines.RuntimeVersion,
            ["functionName"] = options.FunctionName, ["functionVersion"] = "$LATEST",
        });

        var stopwatch = Stopwatch.StartNew();
        using var sampling = new CancellationTokenSource();
        var sampler = _memory.SampleUntilCancelledAsync(() => _processes.Groups, MemorySampleInterval, sampling.Token);
        var status = "success";
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
            status = "timeout";
        }
        finally
        {
            await sampling.CancelAsync().ConfigureAwait(false);
            await sampler.ConfigureAwait(false);
        }

        stopwatch.Stop();
        foreach (var agent in state.Agents)
        {
            log.Platform(PlatformLines.Extension(agent.Name, "Ready", agent.Events));
            log.PlatformEvent("platform.extension", new JsonObject
            {
                ["name"] = agent.Name, ["state"] = "Ready", ["events"] = new JsonArray([.. agent.Events.Select(e => JsonValue.Create(e))]),
            });
        }

        var failure = status == "timeout" ? null : state.Failure;
        var errorType = failure?.ErrorType;
        if (failure is not null)
        {
            status = "error";
        }

        var initMs = stopwatch.Elapsed.TotalMilliseconds;
        log.PlatformEvent("platform.initRuntimeDone", new JsonObject { ["initializationType"] = "on-demand", ["phase"] = phase, ["status"] = status });
        log.PlatformEvent("platform.initReport", new JsonObject
        {
            ["initializationType"] = "on-demand", ["phase"] = phase, ["status"] = status,
            ["metrics"] = new JsonObject { ["durationMs"] = Math.Round(initMs, 3) },
        });
        if (status != "success")
        {
            // On demand, Lambda prints INIT_REPORT only when INIT did not succeed.
            log.Platform(PlatformLines.InitReport(initMs, phase, status, errorType));
            if (failure?.Body is { Length: > 0 } body)
            {
                log.Debug($"INIT error body: {body}");
            }

            await ShutdownProcessesAsync(status == "timeout" ? "timeout" : "failure", cancellationToken).ConfigureAwait(false);
            return false;
        }

        _initialized = true;
        _pendingInitDurationMs = phase == "init" ? initMs : null;
        return true;
    }

    public async Task<InvokeOutcome> InvokeAsync(string payload, CancellationToken cancellationToken)
    {
        var requestId = Guid.NewGuid().ToString();
        var started = time.GetUtcNow();
        var deadline = started + options.Timeout;
        var stopwatch = Stopwatch.StartNew();

        if (_initialized && Current.Failure is { } earlier)
        {
            log.Debug($"sandbox failed while idle ({earlier.ErrorType}): resetting");
            await ResetAsync("failure", cancellationToken).ConfigureAwait(false);
        }

        if (!_initialized)
        {
            // A failed or timed-out INIT is retried inside the invoke, under the function timeout.
            var initialized = await InitAsync("invoke", deadline, cancellationToken).ConfigureAwait(false);
            if (!initialized)
            {
                var timedOut = time.GetUtcNow() >= deadline;
                var failure = timedOut ? TimeoutFailure(requestId) : _lastInitFailure ?? new SandboxFailure("Runtime.Unknown", "INIT failed");
                return Finish(requestId, stopwatch, failure, timedOut ? "timeout" : "error", startLogged: false);
            }
        }

        var state = Current;
        _processes.Thaw();
        telemetry.Resume();
        log.Platform(PlatformLines.Start(requestId));
        log.PlatformEvent("platform.start", new JsonObject { ["requestId"] = requestId, ["version"] = "$LATEST" });

        var arn = $"arn:aws:lambda:{_region}:123456789012:function:{options.FunctionName}";
        var traceId = $"Root=1-{started.ToUnixTimeSeconds():x8}-{Guid.NewGuid():N}"[..40] + ";Parent=" + Guid.NewGuid().ToString("N")[..16] + ";Sampled=0";
        var invocation = new Invocation(requestId, payload, deadline.ToUnixTimeMilliseconds(), arn, traceId);
        var invokeEvent = JsonSerializer.Serialize(
            new InvokeEvent("INVOKE", invocation.DeadlineMs, requestId, arn, new TracingHeader("X-Amzn-Trace-Id", traceId)),
            ApiJsonContext.Default.InvokeEvent);

        using var sampling = new CancellationTokenSource();
        var sampler = _memory.SampleUntilCancelledAsync(() => _processes.Groups, MemorySampleInterval, sampling.Token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Max(deadline - time.GetUtcNow(), TimeSpan.Zero));
        var timedOutInvoke = false;
        try
        {
            state.BeginInvoke(invocation, invokeEvent);
            await state.WaitUntilAsync(s => s.Failure is not null || s.InvokeComplete(), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            timedOutInvoke = true;
        }
        finally
        {
            await sampling.CancelAsync().ConfigureAwait(false);
            await sampler.ConfigureAwait(false);
        }

        if (timedOutInvoke)
        {
            var failure = TimeoutFailure(requestId);
            log.Platform(failure.ErrorMessage);
            return await FinishWithResetAsync(requestId, stopwatch, failure, "timeout", cancellationToken).ConfigureAwait(false);
        }

        if (state.Failure is { } crashed)
        {
            log.Platform($"RequestId: {requestId} Error: {crashed.ErrorMessage}");
            log.Platform(crashed.ErrorType);
            return await FinishWithResetAsync(requestId, stopwatch, crashed, "error", cancellationToken).ConfigureAwait(false);
        }

        var answer = invocation.Answer!;
        var outcome = Finish(requestId, stopwatch, null, answer.IsError ? "error" : null, startLogged: true, answer);
        _processes.Freeze();
        if (options.Freeze)
        {
            telemetry.Pause();
        }

        return outcome;
    }

    /// <summary>SHUTDOWN: the end of the execution environment.</summary>
    public Task ShutdownAsync(CancellationToken cancellationToken) =>
        _processes.IsEmpty ? telemetry.FlushAndClearAsync(cancellationToken) : ShutdownProcessesAsync("spindown", cancellationToken);

    private async Task<InvokeOutcome> FinishWithResetAsync(
        string requestId, Stopwatch stopwatch, SandboxFailure failure, string status, CancellationToken cancellationToken)
    {
        var outcome = Finish(requestId, stopwatch, failure, status, startLogged: true);
        await ResetAsync(status == "timeout" ? "timeout" : "failure", cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private InvokeOutcome Finish(
        string requestId, Stopwatch stopwatch, SandboxFailure? failure, string? status, bool startLogged, InvocationAnswer? answer = null)
    {
        stopwatch.Stop();
        var durationMs = stopwatch.Elapsed.TotalMilliseconds;
        if (!startLogged)
        {
            log.Platform(PlatformLines.Start(requestId));
            log.PlatformEvent("platform.start", new JsonObject { ["requestId"] = requestId, ["version"] = "$LATEST" });
        }

        var initDuration = _pendingInitDurationMs;
        _pendingInitDurationMs = null;
        var reportStatus = failure is null ? null : status;
        var errorType = failure is null || status == "timeout" ? null : failure.ErrorType;
        var telemetryStatus = failure is null ? (answer?.IsError == true ? "error" : "success") : status!;
        log.PlatformEvent("platform.runtimeDone", new JsonObject
        {
            ["requestId"] = requestId, ["status"] = telemetryStatus,
            ["metrics"] = new JsonObject { ["durationMs"] = Math.Round(durationMs, 3), ["producedBytes"] = answer?.Body.Length ?? 0 },
        });
        log.Platform(PlatformLines.End(requestId));
        log.Platform(PlatformLines.Report(requestId, durationMs, options.MemoryMb, _memory.PeakMb, initDuration, reportStatus, errorType));
        var metrics = new JsonObject
        {
            ["durationMs"] = Math.Round(durationMs, 3), ["billedDurationMs"] = PlatformLines.Billed(durationMs),
            ["memorySizeMB"] = options.MemoryMb, ["maxMemoryUsedMB"] = _memory.PeakMb,
        };
        if (initDuration is { } init)
        {
            metrics["initDurationMs"] = Math.Round(init, 3);
        }

        log.PlatformEvent("platform.report", new JsonObject { ["requestId"] = requestId, ["status"] = telemetryStatus, ["metrics"] = metrics });

        if (failure is not null)
        {
            var body = failure.Body is { Length: > 0 } given
                ? given
                : JsonSerializer.Serialize(new ErrorResponse(failure.ErrorMessage, failure.ErrorType), ApiJsonContext.Default.ErrorResponse);
            return new InvokeOutcome(requestId, true, body);
        }

        return new InvokeOutcome(requestId, answer!.IsError, answer.Body);
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
        _pendingInitDurationMs = null;
        telemetry.Resume();
        var hasExtensions = state.Agents.Count > 0;
        var budget = hasExtensions ? ShutdownBudget : TimeSpan.Zero;
        var deadline = time.GetUtcNow() + budget;
        var shutdownEvent = JsonSerializer.Serialize(
            new ShutdownEvent("SHUTDOWN", reason, deadline.ToUnixTimeMilliseconds()), ApiJsonContext.Default.ShutdownEvent);
        log.Debug($"SHUTDOWN reason={reason} budget={budget.TotalMilliseconds:0} ms");
        var notified = state.BeginShutdown(shutdownEvent).Select(a => a.Name).ToHashSet(StringComparer.Ordinal);

        await _processes.StopAsync(deadline, notified, cancellationToken).ConfigureAwait(false);
        await telemetry.FlushAndClearAsync(cancellationToken).ConfigureAwait(false);
    }

    private List<string> LaunchExtensions(LifecycleState state)
    {
        var launched = new List<string>();
        foreach (var file in _processes.ExtensionFiles())
        {
            var name = Path.GetFileName(file);
            if (!_processes.TryStartExtension(file, (process, exitCode) => state.ProcessExited(process.Name, isRuntime: false, exitCode)))
            {
                log.Platform(PlatformLines.Extension(name, "LaunchError", [], "PermissionDenied"));
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
}
