namespace SampleFunction.Runtime;

/// <summary>One event from <c>GET /runtime/invocation/next</c>.</summary>
public sealed record Invocation(string RequestId, long DeadlineMs, string? InvokedFunctionArn, string? TraceId, byte[] Payload);
