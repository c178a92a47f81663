namespace ExtensionCache.Extension.Configuration;

/// <summary>
/// One entry of <c>EXTENSION_CACHE_BUNDLES</c>: <c>name=uri</c>, already validated.
/// <paramref name="Location"/> is where the archive is, typed by scheme; <paramref name="Sha256"/> is the
/// lower-case pin, if any. <paramref name="RefreshSeconds"/> is how often a published bundle is checked for a new
/// version (0: never; a pinned bundle never refreshes: a pin is a version); <paramref name="RefreshFromFragment"/>
/// is the <c>#refresh=</c> value as written, before <c>EXTENSION_CACHE_REFRESH_SECONDS</c> is applied.
/// </summary>
public sealed record BundleSpec(string Name, BundleLocation Location, BundleFormat Format, string? Sha256, int RefreshSeconds = 0, int? RefreshFromFragment = null)
{
    /// <summary>True when the published bundle is checked for a new version while the environment lives.</summary>
    public bool Refreshes => RefreshSeconds > 0;

    /// <summary>The URI as configured, without its fragment.</summary>
    public Uri Source => Location.Uri;

    /// <summary>The source as it may be logged: never a query string (presigned URLs carry credentials).</summary>
    public string DisplaySource => Source.GetLeftPart(UriPartial.Path);
}
