using System.Text.Json.Serialization;

namespace ExtensionCache.Contract;

/// <summary>
/// <c>&lt;root&gt;/.status/&lt;name&gt;.json</c>: written whole (temp file, then rename) once per INIT after the
/// bundle is published (<c>ready</c>) or has failed (<c>failed</c>); deleted by the extension before it registers,
/// so it always describes the current INIT.
/// </summary>
/// <param name="Name">The bundle name.</param>
/// <param name="Status"><see cref="Ready"/> or <see cref="Failed"/>.</param>
/// <param name="Path">The published path when ready; null when failed.</param>
/// <param name="Reused">True when the bundle left in the root by an earlier INIT was reused without downloading.</param>
/// <param name="ErrorType">An <c>Extension.*</c> error type when failed.</param>
/// <param name="ErrorMessage">What went wrong when failed.</param>
public sealed record BundleStatus(
    string Name,
    string Status,
    string? Path,
    bool Reused,
    string? ErrorType,
    string? ErrorMessage)
{
    /// <summary>The value of <see cref="Status"/> once the bundle is published.</summary>
    public const string Ready = "ready";

    /// <summary>The value of <see cref="Status"/> when the bundle could not be prepared.</summary>
    public const string Failed = "failed";

    /// <summary>True when <see cref="Status"/> is <see cref="Ready"/>.</summary>
    [JsonIgnore]
    public bool IsReady => string.Equals(Status, Ready, StringComparison.OrdinalIgnoreCase);
}
