namespace ExtensionCache.Client.Model;

/// <summary>
/// <c>&lt;root&gt;/&lt;name&gt;/.extension-cache-manifest.json</c>, written by the extension before it publishes.
/// Fields the extension adds later are ignored, so older clients keep working.
/// </summary>
public sealed record BundleManifest
{
    /// <summary>The bundle name.</summary>
    public string? Name { get; init; }

    /// <summary>The source URI without its query string.</summary>
    public string? Source { get; init; }

    /// <summary>What identifies the content at the source: S3 version id, ETag or sha256.</summary>
    public string? Version { get; init; }

    /// <summary>The sha256 of the archive, lower-case hex.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The archive format, for example <c>zip</c>.</summary>
    public string? Format { get; init; }

    /// <summary>Number of regular files written.</summary>
    public long Files { get; init; }

    /// <summary>Number of directories written.</summary>
    public long Directories { get; init; }

    /// <summary>Number of symbolic links written.</summary>
    public long Symlinks { get; init; }

    /// <summary>Bytes written.</summary>
    public long Bytes { get; init; }

    /// <summary>Time spent downloading, in milliseconds.</summary>
    public double DownloadMs { get; init; }

    /// <summary>Time spent unpacking, in milliseconds.</summary>
    public double UnpackMs { get; init; }

    /// <summary>When the bundle was published.</summary>
    public DateTimeOffset? PublishedAt { get; init; }
}
