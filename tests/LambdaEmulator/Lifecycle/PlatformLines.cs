using System.Globalization;

namespace LambdaEmulator.Lifecycle;

/// <summary>The platform lines CloudWatch shows for a Lambda function (single spaces between fields).</summary>
public static class PlatformLines
{
    public const string RuntimeVersion = "emulator.1";

    public static string InitStart(string region) =>
        $"INIT_START Runtime Version: {RuntimeVersion} Runtime Version ARN: arn:aws:lambda:{region}::runtime:emulator";

    public static string RestoreStart(string region) =>
        $"RESTORE_START Runtime Version: {RuntimeVersion} Runtime Version ARN: arn:aws:lambda:{region}::runtime:emulator";

    public static string RestoreReport(double durationMs, string? status, string? errorType) =>
        $"RESTORE_REPORT Restore Duration: {Ms(durationMs)} ms" + (status is null ? "" : $" Status: {status}") + (errorType is null ? "" : $" Error Type: {errorType}");

    public static string Extension(string name, string state, IEnumerable<string> events, string? errorType = null) =>
        $"EXTENSION Name: {name} State: {state} Events: [{string.Join(", ", events)}]" + (errorType is null ? "" : $" Error Type: {errorType}");

    public static string InitReport(double durationMs, string phase, string status, string? errorType) =>
        $"INIT_REPORT Init Duration: {Ms(durationMs)} ms Phase: {phase} Status: {status}" + (errorType is null ? "" : $" Error Type: {errorType}");

    public static string Start(string requestId, string version = "$LATEST") => $"START RequestId: {requestId} Version: {version}";

    public static string End(string requestId) => $"END RequestId: {requestId}";

    /// <summary>
    /// The REPORT line. <paramref name="postRuntimeExtensionsMs"/> (AWS's PostRuntimeExtensionsDuration metric, not
    /// a CloudWatch REPORT field) is the time extensions registered for INVOKE took after the runtime's answer; the
    /// emulator adds it when there are such extensions. <paramref name="restore"/>: the first invoke after a SnapStart
    /// restore carries Restore Duration and Billed Restore Duration.
    /// </summary>
    public static string Report(
        string requestId, double durationMs, int memoryMb, long maxMemoryUsedMb, double? initDurationMs, double? postRuntimeExtensionsMs,
        string? status, string? errorType, RestoreDurations? restore = null) =>
        $"REPORT RequestId: {requestId} Duration: {Ms(durationMs)} ms Billed Duration: {Billed(durationMs)} ms " +
        $"Memory Size: {memoryMb} MB Max Memory Used: {maxMemoryUsedMb} MB" +
        (initDurationMs is { } init ? $" Init Duration: {Ms(init)} ms" : "") +
        (restore is { } r ? $" Restore Duration: {Ms(r.DurationMs)} ms Billed Restore Duration: {Billed(r.BilledMs)} ms" : "") +
        (postRuntimeExtensionsMs is { } post ? $" Post Runtime Extensions Duration: {Ms(post)} ms" : "") +
        (status is null ? "" : $" Status: {status}") +
        (errorType is null ? "" : $" Error Type: {errorType}");

    public static string Text(PhaseStatus status) => status switch
    {
        PhaseStatus.Success => "success",
        PhaseStatus.Error => "error",
        _ => "timeout",
    };

    public static long Billed(double durationMs) => (long)Math.Ceiling(durationMs);

    public static string Ms(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
