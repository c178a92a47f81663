namespace ExtensionCache.Extension.Json;

/// <summary>Body of <c>GET /extension/event/next</c>, INVOKE and SHUTDOWN alike.</summary>
internal sealed record EventResponse(
    string? EventType,
    long? DeadlineMs,
    string? RequestId,
    string? InvokedFunctionArn,
    string? ShutdownReason);
