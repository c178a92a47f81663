namespace ExtensionCache.Client.Versions;

/// <summary>
/// One published version of a bundle. <see cref="Path"/> is the version's own folder (where <c>&lt;root&gt;/&lt;name&gt;</c>
/// pointed when it was read): files read from it all belong to this version, even if a refresh swaps the link
/// meanwhile. <see cref="Token"/> changes whenever the content does.
/// </summary>
/// <param name="Name">The bundle name.</param>
/// <param name="Path">The version's folder in the store, with every link resolved.</param>
/// <param name="Version">The source's version (S3 versionId or ETag, HTTP ETag, file size and mtime).</param>
/// <param name="Sha256">The archive's sha256.</param>
/// <param name="PublishedAt">When the extension published it.</param>
public sealed record BundleVersion(string Name, string Path, string Version, string Sha256, DateTimeOffset PublishedAt)
{
    /// <summary>Equal for the same content, different for another: the archive's sha256 and the store folder.</summary>
    public string Token => $"{Sha256}:{System.IO.Path.GetFileName(Path)}";
}
