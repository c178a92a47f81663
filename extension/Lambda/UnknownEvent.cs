namespace ExtensionCache.Extension.Lambda;

/// <summary>An event type this build does not know; tolerated so a newer platform cannot crash the extension.</summary>
public sealed record UnknownEvent(string EventType, long? DeadlineMs) : ExtensionEvent(DeadlineMs);
