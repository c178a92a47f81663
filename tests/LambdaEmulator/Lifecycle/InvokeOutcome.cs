namespace LambdaEmulator.Lifecycle;

/// <summary>Result of one invoke: the body to return, and whether it is a function error (or timeout, or failure).</summary>
public sealed record InvokeOutcome(string RequestId, bool IsError, string Body)
{
    /// <summary>True when the sandbox itself failed (INIT, crash, timeout), not just the handler.</summary>
    public bool SandboxFailed { get; init; }
}
