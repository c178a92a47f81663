using System.Globalization;

namespace LambdaEmulator.Lifecycle;

/// <summary>The platform lines CloudWatch shows for a Lambda function (single spaces between fields).</summary>
public static class PlatformLines
{
    public const string RuntimeVersion = "emulator.1";

    public static string InitStart(string region) =>
        $"INIT_START Runtime Version: {RuntimeVersion} Runtime Version ARN: arn:aws:lambda:{region}::runtime:emulator";

    public static string Extension(string name, string state, IEnumerable<string> events, string? errorType = null) =>
        $"EXTENSION Name: {name} State: {state} Events: [{string.Join(", ", events)}]" + (errorType is null ? "" : $" Error Type: {errorType}");

    public static string InitReport(double durationMs, string phase, string status, string? errorType) =>
        $"INIT_REPORT Init Duration: {Ms(durationMs)} ms Phase: {phase} Status: {status}" + (errorType is null ? "" : $" Error Type: {errorType}");

    public static string Start(string requestId) => $"START RequestId: {requestId} Version: $LATEST";

    public static string End(string requestId) => $"END RequestId: {requestId}";

    public static string Report(
        string requestId, double durationMs, int memoryMb, long maxMemoryUsedMb, double? initDurationMs, string? status, string? errorType) =>
        $"REPORT RequestId: {requestId} Duration: {Ms(durationMs)} ms Billed Duration: {Billed(durationMs)} ms " +
        $"Memory Size: {memoryMb} MB Max Memory Used: {maxMemoryUsedMb} MB" +
        (initDurationMs is { } init ? $" Init Duration: {Ms(init)} ms" : "") +
        (status is null ? "" : $" Status: {status}") +
        (errorType is null ? "" : $" Error Type: {errorType}");

    public static long Billed(double durationMs) => (long)Math.Ceiling(durationMs);

    public static string Ms(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
