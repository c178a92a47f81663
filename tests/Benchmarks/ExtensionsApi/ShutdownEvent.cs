namespace ExtensionCache.Benchmarks.ExtensionsApi;

/// <summary>The SHUTDOWN event the harness answers the first next with.</summary>
public sealed record ShutdownEvent(string EventType, string ShutdownReason, long DeadlineMs);
