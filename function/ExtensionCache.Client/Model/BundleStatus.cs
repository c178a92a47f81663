namespace ExtensionCache.Client.Model;

/// <summary>
/// <c>&lt;root&gt;/.status/&lt;name&gt;.json</c>: written atomically once per INIT after the bundle is published
/// or has failed; deleted by the extension before it registers, so it always describes the current INIT.
/// </summary>
public sealed record BundleStatus
{
    /// <summary>The value of <see cref="Status"/> once the bundle is published.</summary>
    public const string Ready = "ready";

    /// <summary>The value of <see cref="Status"/> when the bundle could not be prepared.</summary>
    public const string Failed = "failed";

    /// <summary>The bundle name.</summary>
    public string? Name { get; init; }

    /// <summary><see cref="Ready"/> or <see cref="Failed"/>.</summary>
    public string? Status { get; init; }

    /// <summary>The published path when ready.</summary>
    public string? Path { get; init; }

    /// <summary>True when the bundle left in /tmp by an earlier INIT was reused without downloading.</summary>
    public bool Reused { get; init; }

    /// <summary>An <c>Extension.*</c> error type when failed.</summary>
    public string? ErrorType { get; init; }

    /// <summary>What went wrong when failed.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>True when <see cref="Status"/> is <see cref="Ready"/>.</summary>
    public bool IsReady => string.Equals(Status, Ready, StringComparison.OrdinalIgnoreCase);
}
