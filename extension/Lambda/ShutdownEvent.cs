namespace ExtensionCache.Extension.Lambda;

/// <param name="Reason">Lower-case reason as sent (<c>spindown</c>, <c>timeout</c>, <c>failure</c>, or whatever a newer platform sends).</param>
public sealed record ShutdownEvent(string Reason, long? DeadlineMs) : ExtensionEvent(DeadlineMs);
