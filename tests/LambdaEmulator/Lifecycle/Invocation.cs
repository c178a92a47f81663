namespace LambdaEmulator.Lifecycle;

/// <summary>One invoke as the runtime sees it, and the runtime's answer once it arrives.</summary>
public sealed class Invocation(string requestId, string payload, long deadlineMs, string invokedFunctionArn, string traceId)
{
    public string RequestId { get; } = requestId;

    public string Payload { get; } = payload;

    public long DeadlineMs { get; } = deadlineMs;

    public string InvokedFunctionArn { get; } = invokedFunctionArn;

    public string TraceId { get; } = traceId;

    /// <summary>Set once by the runtime's response or error (guarded by the state's lock).</summary>
    public InvocationAnswer? Answer { get; internal set; }

    /// <summary>
    /// The extensions registered for INVOKE when it began, with the index of its event in each one's queue: the
    /// invoke waits until each called next again after reading it (guarded by the state's lock).
    /// </summary>
    internal List<(ExtensionAgent Agent, long EventIndex)> InvokeEvents { get; } = [];
}
