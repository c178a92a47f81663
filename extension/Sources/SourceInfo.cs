namespace ExtensionCache.Extension.Sources;

/// <summary>
/// What a probe learned about the object: its length, a version that changes when the content changes
/// (S3 versionId or ETag, HTTP ETag or Last-Modified, file size and mtime), whether ranged reads work, the last
/// bytes of the object when the probe fetched them anyway (a zip's central directory lives there), and the S3
/// ETag every later read must still match. Every read is given the probe's answer, so a source keeps no state.
/// </summary>
public sealed record SourceInfo(long Length, string VersionId, bool SupportsRanges, ReadOnlyMemory<byte> Tail, string? ETag = null);
