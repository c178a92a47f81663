namespace ExtensionCache.TestSupport;

/// <summary>Which requests a <see cref="FaultRule"/> matches by their <c>Range</c> header.</summary>
public enum FaultRuleRange
{
    /// <summary>Any request, with or without a Range header.</summary>
    Any,

    /// <summary>No Range header: a whole-object GET.</summary>
    None,

    /// <summary><c>Range: bytes=-N</c>, the last N bytes (the extension's probe).</summary>
    Suffix,

    /// <summary><c>Range: bytes=first-last</c> or <c>bytes=first-</c> (the extension's parts).</summary>
    FromOffset,
}
