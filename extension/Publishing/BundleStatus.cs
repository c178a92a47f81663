namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// <c>&lt;root&gt;/.status/&lt;name&gt;.json</c>, written atomically once per INIT after the bundle is published
/// (<c>ready</c>) or has failed (<c>failed</c>).
/// </summary>
public sealed record BundleStatus(
    string Name,
    string Status,
    string? Path,
    bool Reused,
    string? ErrorType,
    string? ErrorMessage)
{
    public const string Ready = "ready";
    public const string Failed = "failed";
}
