namespace ExtensionCache.Extension.Publishing;

/// <summary>The <c>Extension.*</c> error types a bundle failure is reported with.</summary>
public static class BundleErrorTypes
{
    public const string NotFound = "Extension.BundleNotFound";
    public const string AccessDenied = "Extension.BundleAccessDenied";
    public const string Integrity = "Extension.BundleIntegrity";
    public const string Unsafe = "Extension.BundleUnsafe";
    public const string TooLarge = "Extension.BundleTooLarge";
    public const string FetchFailed = "Extension.BundleFetchFailed";
    public const string Unsupported = "Extension.BundleUnsupported";
    public const string PublishFailed = "Extension.BundlePublishFailed";
}
