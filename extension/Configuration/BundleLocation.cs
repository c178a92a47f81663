namespace ExtensionCache.Extension.Configuration;

/// <summary>
/// Where a bundle's archive is, as <see cref="BundleListParser"/> validated it: one of <see cref="S3Location"/>,
/// <see cref="HttpLocation"/> or <see cref="FileLocation"/>. <see cref="Uri"/> is the URI as configured,
/// without its fragment.
/// </summary>
public abstract record BundleLocation(Uri Uri);
