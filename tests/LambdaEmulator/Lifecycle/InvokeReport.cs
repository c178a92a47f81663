namespace LambdaEmulator.Lifecycle;

/// <summary>
/// What the REPORT of one invoke says: how it ended, the sandbox failure if there was one, its duration (runtime and
/// extensions), the INIT duration on an environment's first invoke, the extensions' time after the answer, and after a
/// SnapStart restore its durations.
/// </summary>
public sealed record InvokeReport(
    string RequestId, PhaseStatus Status, SandboxFailure? Failure, double DurationMs, double? InitDurationMs, double? PostRuntimeExtensionsMs,
    RestoreDurations? Restore = null);

/// <summary>
/// A SnapStart restore: <paramref name="DurationMs"/> from the restore's start to the runtime's readiness (resuming
/// the processes, dropping connections, the after-restore hooks); <paramref name="BilledMs"/> the runtime's
/// after-restore hooks only (AWS bills the runtime's part, not the snapshot's).
/// </summary>
public sealed record RestoreDurations(double DurationMs, double BilledMs);
