namespace ExtensionCache.TestSupport;

/// <summary>
/// One request <see cref="FaultProxy"/> received: its number (1-based, in arrival order), method, path (never the
/// query, which may carry a presigned URL's signature), Range header, the rule that injected a fault into it (null
/// when it was forwarded untouched), and when it arrived, from the proxy's start.
/// </summary>
public sealed record FaultProxyRequest(int Number, string Method, string Path, string? Range, FaultRule? Fault, TimeSpan ArrivedAt);
