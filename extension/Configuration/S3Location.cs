namespace ExtensionCache.Extension.Configuration;

/// <summary><c>s3://bucket/key[?versionId=...]</c>, with the key and the versionId unescaped.</summary>
public sealed record S3Location(Uri Uri, string Bucket, string Key, string? VersionId) : BundleLocation(Uri);
