namespace ExtensionCache.Extension.Lambda;

public sealed record InvokeEvent(string? RequestId, string? InvokedFunctionArn, long? DeadlineMs) : ExtensionEvent(DeadlineMs);
