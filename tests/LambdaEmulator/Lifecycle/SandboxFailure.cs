namespace LambdaEmulator.Lifecycle;

/// <summary>Why the sandbox cannot go on: INIT fails, or the invoke fails and the sandbox is reset.</summary>
public sealed record SandboxFailure(string ErrorType, string ErrorMessage, string? Body = null);
