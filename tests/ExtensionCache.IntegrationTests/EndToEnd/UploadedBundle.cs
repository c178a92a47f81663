namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>A bundle zip in s3rver: its <c>s3://</c> URI, object key, the zip's sha256 and size.</summary>
public sealed record UploadedBundle(string Uri, string Key, string Sha256, long Size);
