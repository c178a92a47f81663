namespace LambdaEmulator.Lifecycle;

/// <summary>
/// What the REPORT of one invoke says: how it ended, the sandbox failure if there was one, its duration (runtime and
/// extensions), the INIT duration on an environment's first invoke, and the extensions' time after the answer.
/// </summary>
public sealed record InvokeReport(
    string RequestId, PhaseStatus Status, SandboxFailure? Failure, double DurationMs, double? InitDurationMs, double? PostRuntimeExtensionsMs);
