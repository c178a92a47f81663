namespace ExtensionCache.TestSupport;

/// <summary>What a <see cref="FaultRule"/> does to a request it applies to.</summary>
public enum FaultRuleKind
{
    /// <summary>Answer with a status and an S3-style XML error body; the real server never sees the request.</summary>
    Error,

    /// <summary>Abort the connection as soon as the request arrives: nothing is sent, the client sees a reset before any response.</summary>
    Reset,

    /// <summary>Forward, pass the first N body bytes, then abort the connection (a reset mid-body).</summary>
    ResetAfterBytes,

    /// <summary>Forward, pass the first N body bytes, drop the rest and end the response: fewer bytes than its Content-Length, then the connection closes.</summary>
    ShortBody,

    /// <summary>Never answer: hold the request (no status, no byte) until the client gives up or the proxy is disposed.</summary>
    Stall,
}
