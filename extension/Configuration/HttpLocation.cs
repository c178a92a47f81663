namespace ExtensionCache.Extension.Configuration;

/// <summary>An <c>https://</c> or <c>http://</c> URL, for example an S3 presigned URL; its query is never logged.</summary>
public sealed record HttpLocation(Uri Uri) : BundleLocation(Uri);
