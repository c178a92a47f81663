namespace LambdaEmulator.Lifecycle;

/// <summary>Result of one invoke: the body to return, and whether it is an error (function error, timeout, failure).</summary>
public sealed record InvokeOutcome(string RequestId, bool IsError, string Body);
