namespace LambdaEmulator.Lifecycle;

/// <summary>How an INIT or an invoke ended; written as "success", "error" or "timeout" in logs and telemetry.</summary>
public enum PhaseStatus
{
    Success,
    Error,
    Timeout,
}
