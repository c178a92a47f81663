using System.Text.Json.Serialization;

namespace ExtensionCache.Contract;

/// <summary>
/// <c>&lt;root&gt;/.status/&lt;name&gt;.json</c>: written whole (temp file, then rename) once per INIT after the
/// bundle is published (<c>ready</c>) or has failed (<c>failed</c>), and again after every refresh check; deleted by
/// the extension before it registers, so it always describes the current INIT.
/// </summary>
/// <param name="Name">The bundle name.</param>
/// <param name="Status"><see cref="Ready"/>, <see cref="Failed"/> or, after a failed refresh, <see cref="Stale"/>.</param>
/// <param name="Path">The published path when ready; null when failed.</param>
/// <param name="Reused">True when the bundle left in the root by an earlier INIT was reused without downloading.</param>
/// <param name="ErrorType">An <c>Extension.*</c> error type when failed.</param>
/// <param name="ErrorMessage">What went wrong when failed, or why the last refresh did not publish when stale.</param>
/// <param name="Version">The published version (the source's versionId, ETag or size-mtime), null when nothing is.</param>
/// <param name="PublishedAt">When the published version was published.</param>
/// <param name="CheckedAt">When the source was last checked for a new version (at INIT and at every refresh).</param>
public sealed record BundleStatus(
    string Name,
    string Status,
    string? Path,
    bool Reused,
    string? ErrorType,
    string? ErrorMessage,
    string? Version = null,
    DateTimeOffset? PublishedAt = null,
    DateTimeOffset? CheckedAt = null)
{
    /// <summary>The value of <see cref="Status"/> once the bundle is published.</summary>
    public const string Ready = "ready";

    /// <summary>The value of <see cref="Status"/> when the bundle could not be prepared.</summary>
    public const string Failed = "failed";

    /// <summary>
    /// The value of <see cref="Status"/> when a refresh failed: the version at <see cref="Path"/> is complete and
    /// keeps serving, <see cref="ErrorType"/> and <see cref="ErrorMessage"/> say why no newer one was published.
    /// </summary>
    public const string Stale = "stale";

    /// <summary>True when <see cref="Status"/> is <see cref="Ready"/> or <see cref="Stale"/>: a complete version is at <see cref="Path"/>.</summary>
    [JsonIgnore]
    public bool IsReady => string.Equals(Status, Ready, StringComparison.OrdinalIgnoreCase) || IsStale;

    /// <summary>True when <see cref="Status"/> is <see cref="Stale"/>.</summary>
    [JsonIgnore]
    public bool IsStale => string.Equals(Status, Stale, StringComparison.OrdinalIgnoreCase);
}
