namespace ExtensionCache.Extension.Sources;

/// <summary>
/// What a probe learned about the object: its length, a version that changes when the content changes
/// (S3 versionId or ETag, HTTP ETag, file size and mtime), whether ranged reads work, and the last bytes of the
/// object when the probe fetched them anyway (a zip's central directory lives there).
/// </summary>
public sealed record SourceInfo(long Length, string VersionId, bool SupportsRanges, ReadOnlyMemory<byte> Tail);
