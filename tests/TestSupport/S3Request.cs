namespace ExtensionCache.TestSupport;

/// <summary>One request from s3rver's log: method, status and the body length it reported (null when unknown).</summary>
public sealed record S3Request(string Method, int Status, long? Bytes);
