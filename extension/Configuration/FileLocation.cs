namespace ExtensionCache.Extension.Configuration;

/// <summary><c>file:///absolute/path</c>; <paramref name="Path"/> is the local path.</summary>
public sealed record FileLocation(Uri Uri, string Path) : BundleLocation(Uri);
