namespace ExtensionCache.Extension.Lambda;

/// <summary>What <c>event/next</c> returned: an <see cref="InvokeEvent"/>, a <see cref="ShutdownEvent"/>, or an <see cref="UnknownEvent"/>.</summary>
public abstract record ExtensionEvent(long? DeadlineMs);
