namespace LambdaEmulator.Lifecycle;

/// <summary>What the runtime posted: a response, or an error with its Lambda-Runtime-Function-Error-Type.</summary>
public sealed record InvocationAnswer(bool IsError, string Body, string? ErrorType);
