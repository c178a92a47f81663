namespace ExtensionCache.Extension.Configuration;

/// <summary>
/// Caps that apply to what is actually written, never to what an archive declares.
/// </summary>
/// <param name="MaxUnpackedBytes">Total bytes written for one bundle (also capped by free space in the root).</param>
/// <param name="MaxEntries">Files, directories and links in one bundle.</param>
/// <param name="Concurrency">Ranged requests in flight at once.</param>
/// <param name="PartSizeBytes">Size of one ranged request.</param>
/// <param name="Workers">Threads writing small files while the archive is read (see EntryWriterPool).</param>
public sealed record CacheLimits(long MaxUnpackedBytes, int MaxEntries, int Concurrency, int PartSizeBytes, int Workers = 2);
