using System.Text.Json.Nodes;
using LambdaEmulator.Cli;
using LambdaEmulator.Logs;

namespace LambdaEmulator.Lifecycle;

/// <summary>
/// Every platform event of the lifecycle, reported once: its CloudWatch line on stdout (when Lambda prints one) and
/// its Telemetry API event. Knows what differs on Managed Instances (initializationType, INIT_REPORT always,
/// no platform.runtimeDone).
/// </summary>
public sealed class PlatformReporter(EmulatorOptions options, LambdaLog log, string region)
{
    public void InitStart(string phase)
    {
        log.Platform(PlatformLines.InitStart(region));
        log.PlatformEvent("platform.initStart", new JsonObject
        {
            ["initializationType"] = options.InitializationType, ["phase"] = phase, ["runtimeVersion"] = PlatformLines.RuntimeVersion,
            ["functionName"] = options.FunctionName, ["functionVersion"] = options.FunctionVersion,
        });
    }

    /// <summary>A SnapStart restore begins: RESTORE_START and platform.restoreStart.</summary>
    public void RestoreStart()
    {
        log.Platform(PlatformLines.RestoreStart(region));
        log.PlatformEvent("platform.restoreStart", new JsonObject
        {
            ["runtimeVersion"] = PlatformLines.RuntimeVersion,
            ["runtimeVersionArn"] = $"arn:aws:lambda:{region}::runtime:emulator",
            ["functionName"] = options.FunctionName,
            ["functionVersion"] = options.FunctionVersion,
            ["instanceMaxMemory"] = options.MemoryMb,
        });
    }

    /// <summary>The restore's end: platform.restoreRuntimeDone, RESTORE_REPORT (with Status only when it failed) and platform.restoreReport.</summary>
    public void RestoreDone(PhaseStatus status, double durationMs, string? errorType)
    {
        var text = PlatformLines.Text(status);
        var runtimeDone = new JsonObject { ["status"] = text };
        var report = new JsonObject { ["status"] = text, ["metrics"] = new JsonObject { ["durationMs"] = Math.Round(durationMs, 3) } };
        if (errorType is not null)
        {
            runtimeDone["errorType"] = errorType;
            report["errorType"] = errorType;
        }

        log.PlatformEvent("platform.restoreRuntimeDone", runtimeDone);
        log.Platform(PlatformLines.RestoreReport(durationMs, status == PhaseStatus.Success ? null : text, errorType));
        log.PlatformEvent("platform.restoreReport", report);
    }

    public void ExtensionLaunchError(string name) =>
        log.Platform(PlatformLines.Extension(name, "LaunchError", [], "PermissionDenied"));

    public void ExtensionReady(ExtensionAgent agent)
    {
        log.Platform(PlatformLines.Extension(agent.Name, "Ready", agent.Events));
        log.PlatformEvent("platform.extension", new JsonObject
        {
            ["name"] = agent.Name, ["state"] = "Ready", ["events"] = new JsonArray([.. agent.Events.Select(e => JsonValue.Create(e))]),
        });
    }

    /// <summary>
    /// End of INIT. On demand Lambda prints INIT_REPORT only when INIT did not succeed (its duration goes into the
    /// first REPORT); on Managed Instances and with SnapStart INIT is no part of an invoke, so it is always printed.
    /// </summary>
    public void InitDone(string phase, PhaseStatus status, double durationMs, string? errorType)
    {
        var text = PlatformLines.Text(status);
        log.PlatformEvent("platform.initRuntimeDone", new JsonObject
        {
            ["initializationType"] = options.InitializationType, ["phase"] = phase, ["status"] = text,
        });
        log.PlatformEvent("platform.initReport", new JsonObject
        {
            ["initializationType"] = options.InitializationType, ["phase"] = phase, ["status"] = text,
            ["metrics"] = new JsonObject { ["durationMs"] = Math.Round(durationMs, 3) },
        });
        if (status != PhaseStatus.Success || options.ManagedInstances || options.SnapStart)
        {
            log.Platform(PlatformLines.InitReport(durationMs, phase, text, errorType));
        }
    }

    public void Start(string requestId)
    {
        log.Platform(PlatformLines.Start(requestId, options.FunctionVersion));
        log.PlatformEvent("platform.start", new JsonObject { ["requestId"] = requestId, ["version"] = options.FunctionVersion });
    }

    /// <summary>The runtime is done with an invoke (answered, failed or timed out). Managed Instances send no such event.</summary>
    public void RuntimeDone(string requestId, PhaseStatus status, double durationMs, int producedBytes)
    {
        if (options.ManagedInstances)
        {
            return;
        }

        log.PlatformEvent("platform.runtimeDone", new JsonObject
        {
            ["requestId"] = requestId, ["status"] = PlatformLines.Text(status),
            ["metrics"] = new JsonObject { ["durationMs"] = Math.Round(durationMs, 3), ["producedBytes"] = producedBytes },
        });
    }

    /// <summary>"Task timed out after ..." for an invoke that ran out of time.</summary>
    public void TimedOut(SandboxFailure failure) => log.Platform(failure.ErrorMessage);

    /// <summary>"RequestId: id Error: message" and the error type, for a sandbox failure during an invoke.</summary>
    public void InvokeFailed(string requestId, SandboxFailure failure)
    {
        log.Platform($"RequestId: {requestId} Error: {failure.ErrorMessage}");
        log.Platform(failure.ErrorType);
    }

    /// <summary>END and REPORT lines and platform.report.</summary>
    public void Report(InvokeReport report, long maxMemoryUsedMb)
    {
        ArgumentNullException.ThrowIfNull(report);
        var failure = report.Failure;
        var reportStatus = failure is null ? null : PlatformLines.Text(report.Status);
        var errorType = failure is null || report.Status == PhaseStatus.Timeout ? null : failure.ErrorType;
        log.Platform(PlatformLines.End(report.RequestId));
        log.Platform(PlatformLines.Report(
            report.RequestId, report.DurationMs, options.MemoryMb, maxMemoryUsedMb, report.InitDurationMs, report.PostRuntimeExtensionsMs,
            reportStatus, errorType, report.Restore));
        var metrics = new JsonObject
        {
            ["durationMs"] = Math.Round(report.DurationMs, 3), ["billedDurationMs"] = PlatformLines.Billed(report.DurationMs),
            ["memorySizeMB"] = options.MemoryMb, ["maxMemoryUsedMB"] = maxMemoryUsedMb,
        };
        if (report.InitDurationMs is { } init)
        {
            metrics["initDurationMs"] = Math.Round(init, 3);
        }

        if (report.Restore is { } restore)
        {
            metrics["restoreDurationMs"] = Math.Round(restore.DurationMs, 3);
            metrics["billedRestoreDurationMs"] = PlatformLines.Billed(restore.BilledMs);
        }

        log.PlatformEvent("platform.report", new JsonObject
        {
            ["requestId"] = report.RequestId, ["status"] = PlatformLines.Text(report.Status), ["metrics"] = metrics,
        });
    }
}
