namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>A bundle zip in s3rver: its <c>s3://</c> URI, object key, the zip's sha256 and size.</summary>
public sealed record UploadedBundle(string Uri, string Key, string Sha256, long Size)
{
    /// <summary>The MD5 of the uploaded bytes: the ETag s3rver gives a single-PUT object, when a test sets it.</summary>
    public string Md5 { get; init; } = "";
}
